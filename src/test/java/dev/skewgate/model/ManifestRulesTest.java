package dev.skewgate.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Manifests that must be refused before anything is stored, one row per rule. */
class ManifestRulesTest {

    private static final String SHA = "a".repeat(64);

    @ParameterizedTest(name = "{1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /etc/passwd          | INVALID_PATH | absolute path
            ../secret            | INVALID_PATH | dot-dot segment
            a/../../b            | INVALID_PATH | nested dot-dot
            ./a                  | INVALID_PATH | dot segment
            a\\b.js              | INVALID_PATH | backslash
            a//b                 | INVALID_PATH | empty segment
            dir/                 | INVALID_PATH | trailing slash
            ''                   | INVALID_PATH | empty path
            """)
    void refusesBadPaths(String path, String code, String why) {
        assertThatThrownBy(() -> ManifestRules.check(List.of(new ManifestEntry(path, SHA, 1, ""))))
                .as(why).isInstanceOf(InvalidRequestException.class)
                .extracting(e -> ((SkewgateException) e).code()).isEqualTo(code);
    }

    @Test
    void refusesControlCharactersAndNul() {
        for (String path : List.of("a\u0000b", "a\nb", "a\u007fb", "a\u0085b")) {
            assertThatThrownBy(() -> ManifestRules.check(List.of(new ManifestEntry(path, SHA, 1, ""))))
                    .hasMessageContaining("control character");
        }
    }

    @Test
    void refusesDuplicateAndCaseCollidingPaths() {
        assertThatThrownBy(() -> ManifestRules.check(List.of(entry("a.js"), entry("a.js"))))
                .extracting(e -> ((SkewgateException) e).code()).isEqualTo("DUPLICATE_PATH");
        assertThatThrownBy(() -> ManifestRules.check(List.of(entry("App.js"), entry("app.js"))))
                .extracting(e -> ((SkewgateException) e).code()).isEqualTo("CASE_COLLISION");
    }

    @Test
    void refusesOverLongNamesAndTooManyEntries() {
        assertThatThrownBy(() -> ManifestRules.check(List.of(entry("a".repeat(256)))))
                .extracting(e -> ((SkewgateException) e).code()).isEqualTo("PATH_TOO_LONG");
        assertThatThrownBy(() -> ManifestRules.check(List.of(entry(("abcdefghi/").repeat(110) + "x"))))
                .extracting(e -> ((SkewgateException) e).code()).isEqualTo("PATH_TOO_LONG");
        List<ManifestEntry> many = new ArrayList<>();
        for (int i = 0; i <= ManifestRules.MAX_ENTRIES; i++) {
            many.add(entry("f" + i));
        }
        assertThatThrownBy(() -> ManifestRules.check(many)).isInstanceOf(TooLargeException.class);
    }

    @Test
    void refusesBadHashesAndSizes() {
        assertThatThrownBy(() -> ManifestRules.check(List.of(new ManifestEntry("a", "A".repeat(64), 1, ""))))
                .extracting(e -> ((SkewgateException) e).code()).isEqualTo("INVALID_SHA256");
        assertThatThrownBy(() -> ManifestRules.check(List.of(new ManifestEntry("a", SHA, -1, ""))))
                .extracting(e -> ((SkewgateException) e).code()).isEqualTo("INVALID_SIZE");
    }

    @Test
    void acceptsAnOrdinaryBuild() {
        List<ManifestEntry> ok = List.of(entry("index.html"), entry("assets/index-3f9a1c2b.js"), entry("ünïcode/ß.txt"));
        assertThat(ManifestRules.check(ok)).isEqualTo(ok);
    }

    private static ManifestEntry entry(String path) {
        return new ManifestEntry(path, SHA, 1, "");
    }
}
