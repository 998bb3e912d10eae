package dev.skewgate.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.TestGateway;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HTTP conformance of the edge and proxy, judged by varnishtest (Debian package {@code varnish}): each file in
 * {@code src/test/vtc} starts the gateway as a process, fakes the backend and speaks raw HTTP to it.
 */
class VarnishConformanceTest {

    static final Path VTC = Path.of("src", "test", "vtc");
    static final Path VARNISHTEST = Path.of("/usr/bin/varnishtest");

    @TempDir
    static Path data;
    static int edge;
    static int backend;

    static Stream<String> files() throws IOException {
        try (Stream<Path> files = Files.list(VTC)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".vtc")).sorted().toList().stream();
        }
    }

    /** A data directory with site 'shop' (host shop.test) whose backend is the vtc's fake server; checks off. */
    @BeforeAll
    static void prepare() throws Exception {
        assertThat(Files.isExecutable(VARNISHTEST)).as("apt-get install varnish (.ci/run does)").isTrue();
        edge = freePort();
        backend = freePort();
        try (TestGateway gw = TestGateway.start(data)) {
            gw.createSite("shop", "shop.test");
            gw.ok("PATCH", "/v1/sites/shop", Map.of(
                    "defaultBackend", Map.of("upstreams", List.of("http://127.0.0.1:" + backend), "healthPath", "/"),
                    "checks", Map.of("readinessProbes", 0, "synthetic", false)));
            gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<html><head></head>conformance</html>")));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void passes(String file) throws Exception {
        // varnishtest macros are short, so the long test classpath goes into a launcher script.
        Path launcher = Files.createTempFile("skewgate-vtc", ".sh");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' -Dorg.slf4j.simpleLogger.logFile=System.out -cp '"
                + System.getProperty("java.class.path") + "' dev.skewgate.app.Main serve --host 127.0.0.1 --port " + edge
                + " --admin-port 0 --data-dir '" + data + "' --upstream-timeout 2s --shutdown-grace 1s\n");
        launcher.toFile().setExecutable(true);
        String gateway = launcher.toString();
        Path log = Files.createTempFile("vtc", ".log");
        Process p = new ProcessBuilder(VARNISHTEST.toString(), "-t", "60", "-D", "gateway=" + gateway,
                "-D", "edge=" + edge, "-D", "backend=" + backend, VTC.resolve(file).toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(90, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(done && p.exitValue() == 0).as(file + " failed:\n" + tail(output)).isTrue();
    }

    private static String tail(String output) {
        List<String> lines = output.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
