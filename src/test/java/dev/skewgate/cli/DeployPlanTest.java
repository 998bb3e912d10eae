package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.model.Sha256;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * The body {@code deploy} POSTs, built from real folders and a real env file as the command line gives them, and
 * the mistakes refused before any request.
 */
class DeployPlanTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Path dist;
    Path server;

    @BeforeEach
    void folders() throws IOException {
        dist = Files.createDirectories(dir.resolve("dist/assets"));
        dist = dir.resolve("dist");
        Files.writeString(dist.resolve("index.html"), "<html><head></head><body>v1</body></html>");
        Files.writeString(dist.resolve("LICENSE"), "MIT\n");
        server = Files.createDirectories(dir.resolve("server/node_modules/.bin"));
        server = dir.resolve("server");
        Files.writeString(server.resolve("index.js"), "console.log(process.env.PORT)\n");
        Files.writeString(server.resolve("LICENSE"), "MIT\n");
        Files.createDirectories(server.resolve("node_modules/tool"));
        Files.writeString(server.resolve("node_modules/tool/cli.js"), "#!/usr/bin/env node\n");
        Files.setPosixFilePermissions(server.resolve("node_modules/tool/cli.js"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(server.resolve("node_modules/.bin/tool"), Path.of("../tool/cli.js"));
    }

    /** The body as the gateway reads it: through its JSON text. */
    private static JsonNode wire(DeployCommand.Plan plan) throws IOException {
        return JSON.readTree(JSON.writeValueAsBytes(plan.body()));
    }

    private DeployCommand.Plan plan(String... args) throws IOException {
        DeployCommand command = new DeployCommand();
        List<String> all = new ArrayList<>(List.of(dist.toString(), "--site", "shop", "--git-sha", "abc1234"));
        all.addAll(List.of(args));
        new CommandLine(command).parseArgs(all.toArray(String[]::new));
        return command.plan();
    }

    private static String sha(String text) {
        return Sha256.hex(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aManagedBackendCarriesItsSettingsFilesLinksAndEnv() throws IOException {
        Path env = dir.resolve(".env");
        Files.writeString(env, "# this deployment only\nDATABASE_URL=\"postgres://db/shop\"\nexport FEATURE=on\n");
        DeployCommand.Plan plan = plan("--backend-dir", server.toString(), "--run", "node index.js", "--instances", "2",
                "--health", "/api/health", "--env-file", env.toString(), "--release", "npm run migrate",
                "--max-memory", "512M", "--kill-timeout", "15s", "--idle-stop", "10m", "--auto-rollback", "-m", "first");
        JsonNode body = wire(plan);
        String js = sha("console.log(process.env.PORT)\n");
        String cli = sha("#!/usr/bin/env node\n");
        String license = sha("MIT\n");
        assertThat(body.path("backend")).isEqualTo(JSON.readTree("""
                {"run": "node index.js", "instances": 2, "healthPath": "/api/health", "release": "npm run migrate",
                 "maxMemory": "512M", "killTimeout": "15s", "idleStop": "10m", "autoRollback": true,
                 "env": {"DATABASE_URL": "postgres://db/shop", "FEATURE": "on"},
                 "files": [
                   {"path": "LICENSE", "sha256": "%s", "size": 4, "mode": "file"},
                   {"path": "index.js", "sha256": "%s", "size": 30, "mode": "file"},
                   {"path": "node_modules/tool/cli.js", "sha256": "%s", "size": 20, "mode": "exec"},
                   {"path": "node_modules/.bin/tool", "link": "../tool/cli.js"}
                 ]}
                """.formatted(license, js, cli)));
        assertThat(body.path("files")).extracting(f -> f.path("path").asText()).containsExactlyInAnyOrder("index.html", "LICENSE");
        assertThat(body.path("files").get(0).has("mode")).as("the frontend's manifest is as before").isFalse();
        assertThat(body.path("message").asText()).isEqualTo("first");
        assertThat(body.path("gitSha").asText()).isEqualTo("abc1234");
        assertThat(plan.bySha()).as("LICENSE is in both folders: one blob to upload")
                .containsOnlyKeys(sha("<html><head></head><body>v1</body></html>"), license, js, cli);
        assertThat(plan.backend()).get().extracting(BuildScanner.Backend::bytes).isEqualTo(54L);
    }

    @Test
    void unsetSettingsAreLeftToTheSiteDefaults() throws IOException {
        JsonNode backend = wire(plan("--backend-dir", server.toString())).path("backend");
        List<String> keys = new ArrayList<>();
        backend.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("files");
        JsonNode off = wire(plan("--backend-dir", server.toString(), "--no-auto-rollback")).path("backend");
        assertThat(off.path("autoRollback").asBoolean(true)).isFalse();
    }

    @Test
    void anExternalBackendIsAsBefore() throws IOException {
        JsonNode body = wire(plan("--backend", "http://127.0.0.1:9001"));
        assertThat(body.path("backend")).isEqualTo(JSON.readTree(
                "{\"upstreams\": [\"http://127.0.0.1:9001\"], \"healthPath\": \"/\"}"));
        JsonNode none = wire(plan());
        assertThat(none.has("backend")).isFalse();
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            --backend http://127.0.0.1:9001 --backend-dir SERVER | exclude each other                  | both kinds of backend
            --run node                                           | --run is a setting of a backend     | --run without a folder
            --instances 2 --kill-timeout 5s                      | --instances, --kill-timeout are settings | settings without a folder
            --backend-dir SERVER --instances 0                   | between 1 and 16, not 0             | no instance
            --backend-dir SERVER --instances 17                  | between 1 and 16, not 17            | over the bound
            --backend-dir SERVER --instances -1                  | between 1 and 16, not -1            | negative
            --backend-dir MISSING                                | is not a folder                     | no such folder
            --backend-dir SERVER --env-file MISSING              | cannot read the env file            | no such env file
            """)
    void mistakesAreRefusedBeforeAnyRequest(String args, String message, String why) {
        String[] split = args.replace("SERVER", server.toString()).replace("MISSING", dir.resolve("missing").toString())
                .split(" ");
        assertThatThrownBy(() -> plan(split)).isInstanceOf(CliException.class).hasMessageContaining(message);
    }

    @Test
    void theBoundsOfInstancesAreAccepted() throws IOException {
        for (String n : List.of("1", "16")) {
            assertThat(wire(plan("--backend-dir", server.toString(), "--instances", n))
                    .path("backend").path("instances").asInt()).isEqualTo(Integer.parseInt(n));
        }
    }

    @Test
    void anEnvFileOver64KiBIsRefusedWithoutQuotingIt() throws IOException {
        Path env = dir.resolve("big.env");
        Files.writeString(env, "BIG=" + "s3cret".repeat(11000) + "\n");
        assertThatThrownBy(() -> plan("--backend-dir", server.toString(), "--env-file", env.toString()))
                .isInstanceOf(CliException.class).hasMessageContaining("at most 65536 bytes (64 KiB)")
                .hasMessageNotContaining("s3cret");
        Files.writeString(env, "OK=1\nnot a pair\n");
        assertThatThrownBy(() -> plan("--backend-dir", server.toString(), "--env-file", env.toString()))
                .hasMessageContaining("line 2 is not KEY=VALUE");
    }
}
