package dev.skewgate.gateway;

import static dev.skewgate.testing.TestGateway.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.testing.Await;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start compiles only each site's active deployment before it serves; the retained and staged ones follow in the
 * background. A request that needs one of those and arrives first waits for it and gets the answer it would get
 * from a fully compiled snapshot: never a 410 for a servable pin, never a 404 for a chunk an older deployment lends,
 * never the active version's file instead. The background compile is held by a test hook, so "arrives first" is
 * certain rather than a matter of timing.
 */
class PendingCompileTest {

    private static final String HOST = "shop.localhost";
    private static final String NAV = "text/html";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    TestGateway gw;
    TestBackend api1;
    TestBackend api2;
    /** Retained: active before v2. */
    String v1;
    /** Active. */
    String v2;
    /** Staged, never activated: a preview. */
    String v3;
    final CountDownLatch reached = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        api1 = TestBackend.start("api-v1");
        api2 = TestBackend.start("api-v2");
        gw = TestGateway.start(dir);
        gw.createSite("shop", HOST);
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessTimeout", "2s")));
        v1 = gw.deployWithBackend("shop", build("v1"), api1.url());
        gw.activate("shop", v1);
        v2 = gw.deployWithBackend("shop", build("v2"), api2.url());
        gw.activate("shop", v2);
        v3 = gw.deploy("shop", build("v3"));
        gw.createSite("blog", "blog.localhost"); // a second site with a retained deployment to compile
        gw.activate("blog", gw.deploy("blog", build("b1")));
        gw.activate("blog", gw.deploy("blog", build("b2")));
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (gw != null) {
            gw.close();
        }
        api1.close();
        api2.close();
    }

    static Map<String, String> build(String version) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("index.html", "<!doctype html><html><head></head><body>" + version + "</body></html>");
        files.put("assets/chunk-" + version + ".js", "export const v = '" + version + "';");
        return files;
    }

    /** Restarts the gateway with its background compile held before its first site until {@link #release}. */
    private void restartHeld() throws Exception {
        gw.restart(site -> {
            reached.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the gateway stops
            }
        });
        assertThat(reached.await(10, TimeUnit.SECONDS)).as("the background compile reached its hold").isTrue();
    }

    private CompletableFuture<HttpResponse<byte[]>> send(String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.edgePort() + path))
                .timeout(Duration.ofSeconds(60)).header("Host", HOST);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        return HTTP.sendAsync(b.method(method, publisher).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> answer(CompletableFuture<HttpResponse<byte[]>> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    private static String deployment(HttpResponse<byte[]> r) {
        return r.headers().firstValue("X-Skewgate-Deployment").orElse("");
    }

    private static JsonNode json(HttpResponse<byte[]> r) throws Exception {
        return JSON.readTree(r.body());
    }

    private void awaitWaiting(int requests) throws InterruptedException {
        Await.until(requests + " request(s) waiting for the compile", 10_000,
                () -> gw.gateway().requestsWaitingForCompile() == requests);
    }

    @Test
    void requestsPinnedToRetainedOrStagedDeploymentsWaitForTheBackgroundCompileAndGetTheirOwnVersion()
            throws Exception {
        restartHeld();
        // What the active deployment answers needs nothing pending: served at once, with the compile still held.
        HttpResponse<byte[]> unpinned = gw.get(HOST, "/", "Accept", NAV);
        assertThat(unpinned.statusCode()).isEqualTo(200);
        assertThat(text(unpinned)).contains("v2");
        assertThat(json(gw.get(HOST, "/api/version")).path("backend").asText()).isEqualTo("api-v2");
        assertThat(gw.get(HOST, "/assets/chunk-v2.js").statusCode()).isEqualTo(200);

        List<CompletableFuture<HttpResponse<byte[]>>> waiting = List.of(
                send("GET", "/assets/chunk-v1.js", null, "X-Skewgate-Deployment", v1),
                send("GET", "/?_skewgate=" + v1, null, "Accept", NAV),
                send("GET", "/assets/chunk-v1.js", null, "Cookie", "skewgate_dpl=" + v1),
                send("GET", "/assets/chunk-v1.js", null), // an old tab's chunk, unpinned: lent by v1
                send("POST", "/api/echo", "hello", "Cookie", "skewgate_dpl=" + v1),
                send("GET", "/?_skewgate=" + v3, null, "Accept", NAV)); // a preview of the staged build
        awaitWaiting(waiting.size());
        HttpResponse<byte[]> ready = gw.get("lb", "/_skewgate/readyz");
        assertThat(ready.statusCode()).as("not ready while deployments are pending").isEqualTo(503);
        TestGateway.Answer adminReady = gw.admin("GET", "/v1/health/ready", null);
        assertThat(adminReady.status()).isEqualTo(503);
        assertThat(adminReady.body().path("message").asText()).contains("not compiled yet");
        assertThat(waiting).noneMatch(CompletableFuture::isDone);

        release.countDown();
        HttpResponse<byte[]> header = answer(waiting.get(0));
        assertThat(header.statusCode()).isEqualTo(200);
        assertThat(text(header)).contains("'v1'");
        assertThat(deployment(header)).isEqualTo(v1);
        HttpResponse<byte[]> query = answer(waiting.get(1));
        assertThat(query.statusCode()).isEqualTo(200);
        assertThat(text(query)).contains("<body>v1</body>");
        HttpResponse<byte[]> cookie = answer(waiting.get(2));
        assertThat(cookie.statusCode()).isEqualTo(200);
        assertThat(deployment(cookie)).isEqualTo(v1);
        HttpResponse<byte[]> lent = answer(waiting.get(3));
        assertThat(lent.statusCode()).as("lent by the retained deployment, not a 404").isEqualTo(200);
        assertThat(deployment(lent)).isEqualTo(v1);
        HttpResponse<byte[]> api = answer(waiting.get(4));
        assertThat(api.statusCode()).as(text(api)).isEqualTo(200);
        assertThat(json(api).path("backend").asText()).isEqualTo("api-v1");
        assertThat(json(api).path("bodyLength").asInt()).as("the body waited with the request").isEqualTo(5);
        HttpResponse<byte[]> preview = answer(waiting.get(3 + 2));
        assertThat(preview.statusCode()).isEqualTo(200);
        assertThat(text(preview)).contains("<body>v3</body>");

        Await.until("ready once everything is compiled", 10_000,
                () -> gw.get("lb", "/_skewgate/readyz").statusCode() == 200);
        assertThat(gw.get("blog.localhost", "/assets/chunk-b1.js").statusCode()).as("the other site's lender")
                .isEqualTo(200);
    }

    @Test
    void activationAndRollbackDuringTheBackgroundCompileServeWhatTheyChose() throws Exception {
        restartHeld();
        CompletableFuture<HttpResponse<byte[]>> oldTab = send("GET", "/assets/chunk-v1.js", null,
                "X-Skewgate-Deployment", v1);
        awaitWaiting(1);

        gw.activate("shop", v1); // a pending deployment: the change compiles the whole site itself
        HttpResponse<byte[]> answered = answer(oldTab);
        assertThat(answered.statusCode()).as("answered by the change's complete snapshot, the compile still held")
                .isEqualTo(200);
        assertThat(deployment(answered)).isEqualTo(v1);
        assertThat(text(gw.get(HOST, "/", "Accept", NAV))).contains("<body>v1</body>");
        assertThat(json(gw.get(HOST, "/api/version")).path("backend").asText()).isEqualTo("api-v1");
        HttpResponse<byte[]> v2Tab = gw.get(HOST, "/assets/chunk-v2.js", "X-Skewgate-Deployment", v2);
        assertThat(deployment(v2Tab)).isEqualTo(v2);

        gw.ok("POST", "/v1/sites/shop/rollback", Map.of());
        assertThat(text(gw.get(HOST, "/", "Accept", NAV))).contains("<body>v2</body>");

        release.countDown();
        Await.until("ready once everything is compiled", 10_000,
                () -> gw.get("lb", "/_skewgate/readyz").statusCode() == 200);
        assertThat(text(gw.get(HOST, "/", "Accept", NAV))).as("the background compile did not undo the rollback")
                .contains("<body>v2</body>");
        assertThat(deployment(gw.get(HOST, "/assets/chunk-v1.js"))).isEqualTo(v1);
        assertThat(text(gw.get(HOST, "/?_skewgate=" + v3, "Accept", NAV))).contains("<body>v3</body>");
        assertThat(gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText()).isEqualTo(v2);
    }

    @Test
    void aRetainedDeploymentThatCannotBeCompiledAnswers503NotGoneAndKeepsTheGatewayUnready() throws Exception {
        String sha = TestGateway.sha256("export const v = 'v1';".getBytes(StandardCharsets.UTF_8));
        Files.delete(gw.dataDir().resolve("blobs").resolve(sha.substring(0, 2)).resolve(sha));
        gw.restart();
        assertThat(text(gw.get(HOST, "/", "Accept", NAV))).as("the active deployment serves").contains("v2");
        HttpResponse<byte[]> pinned = gw.get(HOST, "/api/version", "X-Skewgate-Deployment", v1);
        assertThat(pinned.statusCode()).as(text(pinned)).isEqualTo(503);
        assertThat(json(pinned).path("error").asText()).isEqualTo("DEPLOYMENT_LOADING");
        assertThat(pinned.headers().firstValue("Retry-After")).hasValue("1");
        Await.until("the failure shows in readiness", 10_000,
                () -> gw.admin("GET", "/v1/health/ready", null).body().path("message").asText()
                        .contains("could not be compiled"));
        assertThat(gw.get("lb", "/_skewgate/readyz").statusCode()).isEqualTo(503);
        assertThat(gw.get(HOST, "/assets/chunk-v1.js").statusCode()).as("not a 404 either").isEqualTo(503);
    }
}
