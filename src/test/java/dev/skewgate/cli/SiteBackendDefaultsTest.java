package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/** The merge patch {@code site update} sends for the managed-backend defaults, and their words in {@code site show}. */
class SiteBackendDefaultsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode patch(String... args) throws IOException {
        SiteCommand.Update update = new SiteCommand.Update();
        new CommandLine(update).parseArgs(args);
        Map<String, Object> body = update.options.body();
        return JSON.readTree(JSON.writeValueAsBytes(body));
    }

    @Test
    void everyDefaultGoesUnderBackendDefaults() throws IOException {
        JsonNode body = patch("shop", "--run", "node index.js", "--instances", "2", "--health", "/api/health",
                "--release", "npm run migrate", "--max-memory", "512M", "--kill-timeout", "15s", "--idle-stop", "10m",
                "--backend-auto-rollback");
        assertThat(body).isEqualTo(JSON.readTree("""
                {"backendDefaults": {"run": "node index.js", "instances": 2, "healthPath": "/api/health",
                  "release": "npm run migrate", "maxMemory": "512M", "killTimeout": "15s", "idleStop": "10m",
                  "autoRollback": true}}
                """));
    }

    @Test
    void anEmptyValueRemovesTheDefault() throws IOException {
        JsonNode body = patch("shop", "--run", "", "--instances", "", "--health", "", "--release", "", "--max-memory", "",
                "--kill-timeout", "", "--idle-stop", "", "--no-backend-auto-rollback");
        assertThat(body).isEqualTo(JSON.readTree("""
                {"backendDefaults": {"run": null, "instances": null, "healthPath": null, "release": null,
                  "maxMemory": null, "killTimeout": null, "idleStop": null, "autoRollback": false}}
                """));
    }

    @Test
    void theExternalDefaultBackendKeepsItsOwnHealthFlag() throws IOException {
        JsonNode body = patch("shop", "--default-backend", "http://127.0.0.1:9001", "--default-health", "/up",
                "--health", "/api/health", "--auto-rollback");
        assertThat(body.path("defaultBackend")).isEqualTo(JSON.readTree(
                "{\"upstreams\": [\"http://127.0.0.1:9001\"], \"healthPath\": \"/up\"}"));
        assertThat(body.path("backendDefaults")).isEqualTo(JSON.readTree("{\"healthPath\": \"/api/health\"}"));
        assertThat(body.path("checks").path("autoRollback").asBoolean()).as("--auto-rollback is the checks' one").isTrue();
        assertThat(patch("shop", "--spa").has("backendDefaults")).isFalse();
    }

    @ParameterizedTest(name = "--instances {0}")
    @CsvSource(delimiter = '|', textBlock = """
            0    | between 1 and 16, not 0
            17   | between 1 and 16, not 17
            two  | must be a number between 1 and 16
            """)
    void instancesOutOfBoundsAreRefused(String value, String message) {
        assertThatThrownBy(() -> patch("shop", "--instances", value)).isInstanceOf(CliException.class)
                .hasMessageContaining(message);
    }

    @Test
    void showNamesOnlyTheDefaultsThatAreSet() throws IOException {
        assertThat(SiteCommand.managedDefaults(JSON.readTree("""
                {"run": "node index.js", "instances": 2, "healthPath": null, "release": null, "maxMemory": 536870912,
                 "killTimeout": "15s", "idleStop": null, "autoRollback": true}
                """))).isEqualTo("run node index.js, instances 2, max memory 512.0 MiB, kill timeout 15s, auto-rollback on");
        assertThat(SiteCommand.managedDefaults(JSON.readTree("{\"autoRollback\": false}"))).isEmpty();
    }
}
