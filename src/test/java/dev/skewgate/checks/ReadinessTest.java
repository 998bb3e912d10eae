package dev.skewgate.checks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.app.Main;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness before a switch, as a new user meets it: a backend that is not there fails at once in plain words, a
 * wrong health path gets a hint, and the CLI shows what it waits for and what is left after a refusal.
 */
class ReadinessTest {

    private static final String HOST = "shop.localhost";

    @TempDir
    Path dir;
    TestGateway gw;
    TestBackend api;

    @BeforeEach
    void start() throws Exception {
        gw = TestGateway.start(dir.resolve("skewgate-data"));
        gw.createSite("shop", HOST);
        // The default timeout: a refused connection must not wait it out.
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessTimeout", "30s", "readinessProbes", 3)));
        api = TestBackend.start("api");
    }

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        api.close();
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Map<String, String> page() {
        return Map.of("index.html", "<html><head></head><body>v</body></html>");
    }

    @Test
    void aRefusedConnectionFailsWithinTwoSecondsInPlainWords() throws Exception {
        String upstream = "http://127.0.0.1:" + closedPort();
        String id = gw.deployWithBackend("shop", page(), upstream);
        long t0 = System.nanoTime();
        Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", id));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("BACKEND_NOT_READY");
        String message = refused.body().path("message").asText();
        assertThat(message).contains(upstream, "/api/health", "the connection was refused", "3 tries in a row")
                .doesNotContain("finishConnect", "error(", "io.netty", "Exception");
        assertThat(took).as("3 refused tries, not the 30 s timeout").isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void aHealthPathAnswering404GetsTheHintToPassHealth() {
        String id = gw.deployBytesWithBackendAndHealth("shop", page(), api.url(), "/healthz");
        Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", id));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body().path("message").asText()).contains("HTTP 404", "--health");
    }

    @Test
    void aDeployWithoutABackendIsWarnedAboutWhenTheLiveOneHasOne() throws Exception {
        gw.activate("shop", gw.deployWithBackend("shop", page(), api.url()));
        Path build = Files.createDirectories(dir.resolve("dist-nobackend"));
        Files.writeString(build.resolve("index.html"), "<html><head></head><body>v2</body></html>");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "deploy", build.toString(),
                "--site", "shop", "--admin-url", gw.adminUrl(), "--data-dir", gw.dataDir().toString());
        assertThat(code).as(err.toString()).isZero();
        assertThat(err.toString()).contains("this deployment has no backend", api.url(), "/api/ will answer 502",
                "--backend URL");
    }

    @Test
    void theCliShowsWhatItWaitsForAndWhatIsLeftAfterARefusal() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessTimeout", "2s")));
        api.healthStatus = 503;
        Path build = Files.createDirectories(dir.resolve("dist"));
        Files.writeString(build.resolve("index.html"), "<html><head></head><body>v2</body></html>");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "deploy", build.toString(),
                "--site", "shop", "--backend", api.url(), "--health", "/api/health", "--activate",
                "--admin-url", gw.adminUrl(), "--data-dir", gw.dataDir().toString());
        assertThat(code).isEqualTo(1);
        assertThat(out.toString()).contains("waiting for " + api.url() + "/api/health: HTTP 503");
        assertThat(err.toString()).contains("BACKEND_NOT_READY", "stays staged", "skewgate activate shop dpl_",
                "skewgate retire shop dpl_");
    }
}
