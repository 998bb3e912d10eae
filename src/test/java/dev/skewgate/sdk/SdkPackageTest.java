package dev.skewgate.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.testing.NodeTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The npm package in sdk/: its version follows the jar's, `npm pack` gives a tarball that installs and loads, and its
 * declarations type-check the way an app uses them.
 */
class SdkPackageTest {

    static final Path SERVED = NodeTools.REPO.resolve("src/main/resources/skewgate/client.js");

    @BeforeAll
    static void node() {
        NodeTools.requireNode();
    }

    static String jarVersion() throws Exception {
        Matcher m = Pattern.compile("<artifactId>skewgate</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(NodeTools.REPO.resolve("pom.xml")));
        assertThat(m.find()).as("pom.xml names the jar's version").isTrue();
        return m.group(1);
    }

    @Test
    void packageVersionFollowsTheJar() throws Exception {
        String version = new ObjectMapper().readTree(NodeTools.SDK.resolve("package.json").toFile()).path("version").asText();
        assertThat(version).isEqualTo(jarVersion());
    }

    @Test
    void buildRefusesAPackageVersionOtherThanTheJars(@TempDir Path dir) throws Exception {
        // A copy of the repository's layout with a package.json one version off.
        Path sdk = Files.createDirectories(dir.resolve("sdk/scripts"));
        Files.copy(NodeTools.SDK.resolve("scripts/build.mjs"), sdk.resolve("build.mjs"));
        Files.createDirectories(dir.resolve("sdk/src"));
        Files.writeString(dir.resolve("sdk/package.json"), "{\"name\":\"@skewgate/sdk\",\"version\":\"0.0.1\"}");
        Files.copy(NodeTools.REPO.resolve("pom.xml"), dir.resolve("pom.xml"));
        Files.createDirectories(dir.resolve("src/main/resources/skewgate"));
        Files.copy(SERVED, dir.resolve("src/main/resources/skewgate/client.js"));
        NodeTools.Result r = NodeTools.attempt(dir.resolve("sdk"), Map.of(), 60, "node", "scripts/build.mjs");
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("does not match the jar's version " + jarVersion());
    }

    @Test
    void declarationsTypeCheckAsAnAppUsesThem() {
        // examples/vite-vue/types-check.ts uses every entry point, with @ts-expect-error lines that fail if a type is any.
        Path app = NodeTools.REPO.resolve("examples/vite-vue");
        NodeTools.buildSdk();
        NodeTools.installFromLockfile(app);
        NodeTools.run(app, Map.of(), 180, "node", "node_modules/typescript/bin/tsc", "-p", "tsconfig.json");
    }

    @Test
    void packedTarballInstallsAndCarriesTheServedScriptAndTypes(@TempDir Path dir) throws Exception {
        String packed = NodeTools.run(NodeTools.SDK, Map.of(), 120, "npm", "pack", "--pack-destination", dir.toString());
        Path tarball;
        try (Stream<Path> s = Files.list(dir)) {
            tarball = s.filter(p -> p.getFileName().toString().endsWith(".tgz")).findFirst().orElseThrow(
                    () -> new AssertionError("npm pack made no tarball:\n" + packed));
        }
        assertThat(tarball.getFileName().toString()).isEqualTo("skewgate-sdk-" + jarVersion() + ".tgz");

        // An app that installs the tarball: no registry needed (React, Vue and Vite are optional peers).
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("package.json"), "{\"name\":\"app\",\"private\":true,\"type\":\"module\"}");
        NodeTools.run(app, Map.of(), 120, "npm", "install", "--offline", "--no-audit", "--no-fund", tarball.toString());
        Path installed = app.resolve("node_modules/@skewgate/sdk/dist");
        assertThat(Files.readString(installed.resolve("client.js"))).as("the served script, byte for byte")
                .isEqualTo(Files.readString(SERVED));
        assertThat(Files.readString(installed.resolve("runtime.js"))).contains(Files.readString(SERVED));
        for (String types : new String[] {"index.d.ts", "react.d.ts", "vue.d.ts", "vite.d.ts"}) {
            assertThat(installed.resolve(types)).isRegularFile();
        }

        // The ES modules load in Node: the accessors answer "no runtime" outside a browser, the plugin is a plugin.
        Files.writeString(app.resolve("probe.mjs"), """
                import * as sdk from '@skewgate/sdk';
                import skewgate from '@skewgate/sdk/vite';
                const state = sdk.snapshot();
                console.log(JSON.stringify({ active: state.active, deployment: state.deployment,
                  plugin: skewgate({ site: 'shop' }).name, unsubscribe: typeof sdk.onConfig(() => {}) }));
                """);
        String out = NodeTools.run(app, Map.of(), 60, "node", "probe.mjs");
        assertThat(out.trim()).isEqualTo("{\"active\":false,\"deployment\":null,\"plugin\":\"skewgate\",\"unsubscribe\":\"function\"}");
    }
}
