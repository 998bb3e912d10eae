package dev.skewgate.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skewgate.model.InvalidRequestException;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class EnvRulesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "none", value = {
            "DATABASE_URL, none",
            "_private, none",
            "a1_B2, none",
            "PORTS, none",
            "MY_PORT, none",
            "SKEWGATE, none",
            "1ABC, INVALID_ENV_KEY",
            "BAD-NAME, INVALID_ENV_KEY",
            "'A B', INVALID_ENV_KEY",
            "'', INVALID_ENV_KEY",
            "KEY=VALUE, INVALID_ENV_KEY",
            "CAFÉ, INVALID_ENV_KEY",
            "PORT, RESERVED_ENV_KEY",
            "SKEWGATE_SITE, RESERVED_ENV_KEY",
            "SKEWGATE_, RESERVED_ENV_KEY",
    })
    void keys(String key, String code) {
        if (code == null) {
            EnvRules.checkKey(key);
        } else {
            assertThatThrownBy(() -> EnvRules.checkKey(key)).isInstanceOf(InvalidRequestException.class)
                    .extracting(e -> ((InvalidRequestException) e).code()).isEqualTo(code);
        }
    }

    @Test
    void aKeyOf128CharactersIsAcceptedAndOneOf129Refused() {
        EnvRules.checkKey("K".repeat(128));
        assertThatThrownBy(() -> EnvRules.checkKey("K".repeat(129))).hasMessageContaining("at most 128");
    }

    @Test
    void aMistypedPairAsAKeyIsNeverQuotedWithItsValue() {
        assertThatThrownBy(() -> EnvRules.checkKey("DATABASE_URL=postgres://secret"))
                .hasMessageContaining("DATABASE_URL=...").hasMessageNotContaining("secret");
    }

    @Test
    void valuesUpTo32KiBWithoutNulAreAcceptedAndNoMessageQuotesThem() {
        EnvRules.checkValue("K", "x".repeat(32 * 1024));
        EnvRules.checkValue("K", "");
        assertThatThrownBy(() -> EnvRules.checkValue("K", "x".repeat(32 * 1024 + 1)))
                .extracting(e -> ((InvalidRequestException) e).code()).isEqualTo("ENV_TOO_LARGE");
        assertThatThrownBy(() -> EnvRules.checkValue("K", "\u00e9".repeat(16 * 1024 + 1)))
                .as("counted in UTF-8 bytes").hasMessageContaining("32770 bytes");
        assertThatThrownBy(() -> EnvRules.checkValue("K", "sec\u0000ret")).hasMessageNotContaining("sec")
                .extracting(e -> ((InvalidRequestException) e).code()).isEqualTo("INVALID_ENV_VALUE");
    }

    @Test
    void theWholeEnvIsBoundedAt64KiBCountingWhatItWouldBecome() {
        Map<String, String> current = Map.of("A", "x".repeat(30_000), "B", "x".repeat(30_000));
        assertThat(EnvRules.apply(current, Map.of("C", "x".repeat(4000)), Set.of())).containsOnlyKeys("A", "B", "C");
        assertThatThrownBy(() -> EnvRules.apply(current, Map.of("C", "x".repeat(6000)), Set.of()))
                .extracting(e -> ((InvalidRequestException) e).code()).isEqualTo("ENV_TOO_LARGE");
        assertThat(EnvRules.apply(current, Map.of("C", "x".repeat(6000)), Set.of("A")))
                .as("unsetting in the same change makes room").containsOnlyKeys("B", "C");
    }

    @Test
    void aKeyBothSetAndUnsetInOneChangeIsRefused() {
        assertThatThrownBy(() -> EnvRules.apply(Map.of(), Map.of("A", "1"), Set.of("A")))
                .extracting(e -> ((InvalidRequestException) e).code()).isEqualTo("INVALID_ENV_KEY");
    }
}
