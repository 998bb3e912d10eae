package dev.skewgate.staticfiles;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the request-path decoder: whatever the bytes, it refuses (400/414) or yields a path that can only be a
 * manifest key — absolute, no empty, '.' or '..' segment, no backslash or control character — and never throws.
 * The committed corpus runs in every build; {@code JAZZER_FUZZ=1} fuzzes (see the README).
 */
class RequestPathFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void decodedPathsAreManifestKeysOrRefused(FuzzedDataProvider data) {
        String raw = data.consumeRemainingAsString();
        RequestPath parsed = RequestPath.parse(raw);
        assertThat(parsed.path().isPresent()).isNotEqualTo(parsed.refusal().isPresent());
        parsed.refusal().ifPresent(r -> assertThat(r.status()).isIn(400, 414));
        parsed.path().ifPresent(path -> {
            assertThat(path).startsWith("/");
            assertThat(raw.length()).isLessThanOrEqualTo(RequestPath.MAX_LENGTH);
            String[] segments = path.substring(1).split("/", -1);
            for (int i = 0; i < segments.length; i++) {
                String s = segments[i];
                assertThat(s).as("segment %d of %s", i, path).isNotIn(".", "..");
                if (i < segments.length - 1) {
                    assertThat(s).as("empty segment in %s", path).isNotEmpty();
                }
            }
            assertThat(path.chars().noneMatch(c -> c < 0x20 || c == 0x7f || c == '\\')).as(path).isTrue();
        });
    }
}
