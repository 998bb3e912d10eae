package dev.skewgate.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.config.Observability;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} of a real gateway after real traffic, parsed by Prometheus's own text-format parser: the named
 * series exist, count exactly what was sent, and carry only labels the routing snapshot knows.
 */
class MetricsEndpointTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    TestGateway gw;
    TestBackend api;

    @BeforeEach
    void start() throws Exception {
        api = TestBackend.start("api-1");
        gw = TestGateway.start(dir, s -> s.withObservability(Observability.DEFAULTS.withMetricsListen("127.0.0.1", 0)));
        gw.createSite("shop", "shop.localhost");
    }

    @AfterEach
    void stop() throws Exception {
        gw.close();
        api.close();
    }

    private PrometheusText scrape() throws Exception {
        HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(gw.adminUrl() + "/metrics"))
                .header("Authorization", "Bearer " + gw.token()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
        return PrometheusText.parse(page.body());
    }

    @Test
    void requestsAreCountedBySiteDeploymentAndStatusClassExactly() throws Exception {
        String v1 = gw.deploy("shop", Map.of("index.html", "<html>v1</html>"));
        gw.activate("shop", v1);
        PrometheusText before = scrape();
        for (int i = 0; i < 7; i++) {
            assertThat(gw.get("shop.localhost", "/").statusCode()).isEqualTo(200);
        }
        String etag = gw.get("shop.localhost", "/index.html").headers().firstValue("etag").orElseThrow();
        assertThat(gw.get("shop.localhost", "/index.html", "If-None-Match", etag).statusCode()).isEqualTo(304);
        assertThat(gw.get("nobody.example", "/").statusCode()).isEqualTo(404);

        PrometheusText after = scrape();
        String[] ok = {"site", "shop", "deployment", v1, "status_class", "2xx"};
        assertThat(after.value("skewgate_requests_total", ok) - before.value("skewgate_requests_total", ok))
                .isEqualTo(8);
        String[] notModified = {"site", "shop", "deployment", v1, "status_class", "3xx"};
        assertThat(after.value("skewgate_requests_total", notModified)
                - before.value("skewgate_requests_total", notModified)).isEqualTo(1);
        assertThat(after.find("skewgate_requests_total", "site", "shop", "deployment", v1)).hasSize(4);
        assertThat(after.find("skewgate_requests").isEmpty()).isTrue();
        assertThat(after.value("skewgate_unknown_host_requests_total")
                - before.value("skewgate_unknown_host_requests_total")).isEqualTo(1);
        assertThat(after.anyLabelValue("nobody.example")).as("an unknown host creates no series").isFalse();
        assertThat(after.value("skewgate_open_tabs", "site", "shop", "deployment", v1)).isZero();
        assertThat(after.find("skewgate_open_tabs", "deployment", v1)).hasSize(1);
        assertThat(after.find("skewgate_open_websockets", "deployment", v1)).hasSize(1);
        assertThat(after.value("skewgate_blob_store_bytes")).as("one blob, %s", "<html>v1</html>".length())
                .isEqualTo("<html>v1</html>".length());
        assertThat(after.find("skewgate_event_loop_lag_seconds_count")).isNotEmpty();
        assertThat(after.value("skewgate_access_log_dropped_total")).isZero();
    }

    @Test
    void proxiedRequestsFeedTheUpstreamLatencyHistogram() throws Exception {
        String v1 = gw.deployWithBackend("shop", Map.of("index.html", "v1"), api.url());
        gw.activate("shop", v1);
        PrometheusText before = scrape();
        for (int i = 0; i < 5; i++) {
            assertThat(gw.get("shop.localhost", "/api/version").statusCode()).isEqualTo(200);
        }
        PrometheusText after = scrape();
        String[] labels = {"site", "shop", "deployment", v1};
        assertThat(after.value("skewgate_upstream_latency_seconds_count", labels)
                - before.value("skewgate_upstream_latency_seconds_count", labels)).isEqualTo(5);
        assertThat(after.value("skewgate_upstream_latency_seconds_bucket", "deployment", v1, "le", "+Inf"))
                .isEqualTo(after.value("skewgate_upstream_latency_seconds_count", labels));
        assertThat(after.value("skewgate_upstream_latency_seconds_sum", labels)).isPositive().isLessThan(5.0);
        assertThat(after.find("skewgate_upstream_latency_seconds").isEmpty()
                && after.samples().stream().anyMatch(s -> s.family().equals("skewgate_upstream_latency_seconds")
                && s.type().equals("histogram"))).isTrue();
    }

    @Test
    void retiredPinsActivationsRollbacksAndRefusalsAreCountedAndPurgedDeploymentsLeave() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("retention", Map.of("skewWindow", "1h", "keepPrevious", 5,
                "purgeAfter", "0s")));
        String v1 = gw.deploy("shop", Map.of("index.html", "v1"));
        gw.activate("shop", v1);
        String v2 = gw.deploy("shop", Map.of("index.html", "v2"));
        gw.activate("shop", v2);
        gw.ok("POST", "/v1/sites/shop/rollback", null);
        gw.activate("shop", v2);
        assertThat(gw.get("shop.localhost", "/").statusCode()).isEqualTo(200);
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
        for (int i = 0; i < 3; i++) {
            assertThat(gw.get("shop.localhost", "/?_skewgate=" + v1).statusCode()).isEqualTo(200);
        }
        assertThat(gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v1)).status()).isEqualTo(409);
        assertThat(gw.admin("POST", "/v1/sites/nosuchsite/activate", Map.of("deployment", v1)).status())
                .isEqualTo(404);

        PrometheusText page = scrape();
        assertThat(page.value("skewgate_retired_requests_total", "site", "shop", "deployment", v1)).isEqualTo(3);
        assertThat(page.value("skewgate_activations_total", "site", "shop")).isEqualTo(3);
        assertThat(page.value("skewgate_rollbacks_total", "site", "shop")).isEqualTo(1);
        assertThat(page.value("skewgate_activations_refused_total", "site", "shop", "reason", "DEPLOYMENT_RETIRED"))
                .isEqualTo(1);
        assertThat(page.anyLabelValue("nosuchsite")).as("a mistyped site makes no series").isFalse();
        assertThat(page.find("skewgate_requests_total", "deployment", v1)).isNotEmpty();

        TestGateway.Answer purged = gw.ok("POST", "/v1/retention/run", null);
        assertThat(purged.body().path("purged").toString()).contains(v1);
        PrometheusText later = scrape();
        assertThat(later.anyLabelValue(v1)).as("every series of the purged deployment is gone").isFalse();
        assertThat(later.find("skewgate_requests_total", "deployment", v2)).isNotEmpty();
        assertThat(gw.get("shop.localhost", "/?_skewgate=" + v1).statusCode()).isEqualTo(200);
        assertThat(scrape().anyLabelValue(v1)).as("a pin to it afterwards brings none back").isFalse();
    }

    @Test
    void aFailedSyntheticCheckIsCountedByHostAndTheRefusalByReason() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("synthetic", true)));
        // Readiness probes reach the backend directly; the synthetic check goes through the edge with the site's
        // Host, which this backend refuses (like Django's ALLOWED_HOSTS): the check fails, the switch is refused.
        api.allowedHosts = java.util.List.of("127.0.0.1", "localhost");
        String v1 = gw.deployWithBackend("shop", Map.of("index.html", "v1"), api.url());
        TestGateway.Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v1));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("SYNTHETIC_CHECK_FAILED");
        PrometheusText page = scrape();
        assertThat(page.value("skewgate_check_failures_total", "site", "shop", "host", "shop.localhost",
                "check", "backend")).isEqualTo(1);
        assertThat(page.value("skewgate_activations_refused_total", "site", "shop", "reason",
                "SYNTHETIC_CHECK_FAILED")).isEqualTo(1);
        assertThat(page.value("skewgate_activations_total", "site", "shop")).isZero();
    }

    @Test
    void adminMetricsNeedTheTokenAndTheMetricsListenerServesOnlyMetricsWithout() throws Exception {
        HttpResponse<String> noToken = HTTP.send(HttpRequest.newBuilder(URI.create(gw.adminUrl() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.body()).doesNotContain("skewgate_");

        String base = "http://127.0.0.1:" + gw.gateway().metricsPort();
        HttpResponse<String> open = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(open.statusCode()).isEqualTo(200);
        assertThat(PrometheusText.parse(open.body()).find("skewgate_unknown_host_requests_total")).hasSize(1);
        HttpResponse<String> other = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/sites")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).contains("NOT_FOUND").doesNotContain("shop");
    }
}
