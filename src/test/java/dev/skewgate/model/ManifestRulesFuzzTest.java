package dev.skewgate.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Fuzzes the manifest validator: a manifest is accepted whole or refused with an {@link InvalidRequestException}
 * (the admin API's 400), never another exception; an accepted path is relative, within the byte limits, and has no
 * '.', '..' or empty segment, backslash or control character.
 */
class ManifestRulesFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void manifestsAreAcceptedOnlyWithSafePathsAndOtherwiseRefusedAsBadInput(FuzzedDataProvider data) {
        int n = data.consumeInt(0, 8);
        List<ManifestEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String sha = data.consumeBoolean() ? "a".repeat(63) + Integer.toHexString(i % 16) : data.consumeString(70);
            long size = data.consumeBoolean() ? data.consumeLong(0, 1 << 20) : data.consumeLong();
            entries.add(new ManifestEntry(data.consumeString(300), sha, size, ""));
        }
        List<ManifestEntry> accepted;
        try {
            accepted = ManifestRules.check(entries);
        } catch (InvalidRequestException e) {
            assertThat(e.code()).isNotBlank();
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        for (ManifestEntry e : accepted) {
            String path = e.path();
            assertThat(path).doesNotStartWith("/").doesNotContain("\\");
            assertThat(path.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ManifestRules.MAX_PATH_BYTES);
            for (String segment : path.split("/", -1)) {
                assertThat(segment).as(path).isNotEmpty().isNotIn(".", "..");
                assertThat(segment.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(ManifestRules.MAX_SEGMENT_BYTES);
            }
            assertThat(path.chars().noneMatch(c -> c < 0x20 || c == 0x7f)).as(path).isTrue();
            assertThat(e.size()).isBetween(0L, ManifestRules.MAX_FILE_BYTES);
        }
    }
}
