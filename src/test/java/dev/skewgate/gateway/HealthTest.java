package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health endpoints: the admin pair for orchestrators, the edge pair for load balancers; none needs a token, and
 * readiness turns 503 as soon as a graceful stop begins.
 */
class HealthTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    /** A request to the admin API without any Authorization header. */
    private static HttpResponse<String> adminWithoutToken(TestGateway gw, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gw.adminUrl() + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void adminLiveAndReadyAnswer200WithoutATokenOnAStartedGateway() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            HttpResponse<String> live = adminWithoutToken(gw, "/v1/health/live");
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(live.body()).path("status").asText()).isEqualTo("live");
            HttpResponse<String> ready = adminWithoutToken(gw, "/v1/health/ready");
            assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
            assertThat(JSON.readTree(ready.body()).path("status").asText()).isEqualTo("ready");
            assertThat(ready.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(ready.headers().firstValue("cache-control")).hasValue("no-store");
            assertThat(adminWithoutToken(gw, "/v1/health").statusCode()).as("the detailed health still needs the token")
                    .isEqualTo(401);
        }
    }

    @Test
    void edgeProbesAnswerPlainOkForAHostNoSiteServes() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            for (String path : new String[] {"/_skewgate/healthz", "/_skewgate/readyz"}) {
                HttpResponse<byte[]> r = gw.get("nobody.example", path);
                assertThat(r.statusCode()).as(path + " beats the unknown-host page").isEqualTo(200);
                assertThat(TestGateway.text(r)).isEqualTo("ok\n");
                assertThat(r.headers().firstValue("content-type")).hasValue("text/plain; charset=utf-8");
                assertThat(r.headers().firstValue("cache-control")).hasValue("no-store");
            }
        }
    }

    @Test
    void edgeProbesAreNotASitesPathEvenOnAServedHost() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            gw.createSite("shop", "shop.localhost");
            gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<html><body>app</body></html>")));
            for (String path : new String[] {"/_skewgate/healthz", "/_skewgate/readyz"}) {
                HttpResponse<byte[]> r = gw.get("shop.localhost", path + "?probe=1");
                assertThat(r.statusCode()).as(path).isEqualTo(200);
                assertThat(TestGateway.text(r)).isEqualTo("ok\n");
                assertThat(r.headers().firstValue("x-skewgate-deployment")).as("no site answered").isEmpty();
            }
        }
    }

    @Test
    void edgeProbesAnswerHeadWithoutABodyAndRefuseOtherMethods() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            HttpResponse<byte[]> head = gw.edge("HEAD", "lb", "/_skewgate/readyz");
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(head.headers().firstValue("content-length")).hasValue("3");
            assertThat(head.headers().firstValue("cache-control")).hasValue("no-store");
            HttpResponse<byte[]> post = gw.edge("POST", "lb", "/_skewgate/healthz");
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("allow")).hasValue("GET, HEAD");
        }
    }

    @Test
    void readinessTurns503AsSoonAsTheGracefulStopBeginsWhileLivenessStays200() throws Exception {
        TestGateway gw = TestGateway.start(dir, s -> s.withShutdown(Duration.ofSeconds(4), Duration.ofSeconds(1)));
        CompletableFuture<Void> closing = null;
        try {
            assertThat(gw.get("lb", "/_skewgate/readyz").statusCode()).isEqualTo(200);
            closing = CompletableFuture.runAsync(gw::close);
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            HttpResponse<byte[]> ready = gw.get("lb", "/_skewgate/readyz");
            while (ready.statusCode() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                ready = gw.get("lb", "/_skewgate/readyz");
            }
            assertThat(ready.statusCode()).as("the edge's readiness during the shutdown delay").isEqualTo(503);
            assertThat(TestGateway.text(ready)).isEqualTo("not ready\n");
            assertThat(ready.headers().firstValue("cache-control")).hasValue("no-store");
            assertThat(gw.get("lb", "/_skewgate/healthz").statusCode()).as("still alive, still accepting")
                    .isEqualTo(200);

            HttpResponse<String> adminReady = adminWithoutToken(gw, "/v1/health/ready");
            assertThat(adminReady.statusCode()).isEqualTo(503);
            JsonNode body = JSON.readTree(adminReady.body());
            assertThat(body.path("error").asText()).isEqualTo("NOT_READY");
            assertThat(body.path("message").asText()).isEqualTo("shutting down");
            assertThat(adminWithoutToken(gw, "/v1/health/live").statusCode()).isEqualTo(200);
            assertThat(closing).as("the delay is still running").isNotDone();
        } finally {
            if (closing != null) {
                closing.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            gw.close();
        }
    }
}
