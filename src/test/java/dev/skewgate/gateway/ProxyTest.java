package dev.skewgate.gateway;

import static dev.skewgate.testing.TestGateway.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.proxy.WebSocketTunnels;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Skew protection for APIs over real HTTP: each tab reaches the backend of its own deployment, or a clear refusal. */
class ProxyTest {

    private static final String HOST = "shop.localhost";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    TestGateway gw;
    TestBackend api1;
    TestBackend api2;
    String v1;

    @BeforeEach
    void start() throws Exception {
        api1 = TestBackend.start("api-v1");
        api2 = TestBackend.start("api-v2");
        gw = TestGateway.start(dir, s -> s.withProxyTimings(Duration.ofSeconds(2), Duration.ofMillis(300)));
        gw.createSite("shop", HOST);
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessTimeout", "2s")));
        v1 = gw.deployWithBackend("shop", page("v1"), api1.url());
        gw.activate("shop", v1);
    }

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        api1.close();
        api2.close();
    }

    static Map<String, String> page(String version) {
        return Map.of("index.html", "<html><head></head><body>" + version + "</body></html>");
    }

    private String backendOf(HttpResponse<byte[]> r) throws Exception {
        return JSON.readTree(r.body()).path("backend").asText();
    }

    @Test
    void twoTabsOnTwoVersionsReachTheirOwnBackendsAndUnpinnedTrafficMovesAtActivation() throws Exception {
        String v2 = gw.deployWithBackend("shop", page("v2"), api2.url());
        assertThat(backendOf(gw.get(HOST, "/api/version"))).isEqualTo("api-v1");
        gw.activate("shop", v2);
        assertThat(backendOf(gw.get(HOST, "/api/version"))).as("unpinned moves at activation").isEqualTo("api-v2");
        HttpResponse<byte[]> oldTab = gw.get(HOST, "/api/version", "X-Skewgate-Deployment", v1);
        assertThat(backendOf(oldTab)).isEqualTo("api-v1");
        assertThat(oldTab.headers().firstValue("X-Skewgate-Deployment")).contains(v1);
        assertThat(backendOf(gw.get(HOST, "/api/version", "X-Skewgate-Deployment", v2))).isEqualTo("api-v2");
        assertThat(backendOf(gw.get(HOST, "/api/version?_skewgate=" + v1))).isEqualTo("api-v1");
        assertThat(backendOf(gw.get(HOST, "/api/version", "Cookie", "skewgate_dpl=" + v1))).isEqualTo("api-v1");
        JsonNode status = gw.ok("GET", "/v1/sites/shop/status", null).body();
        for (JsonNode d : status.path("deployments")) {
            assertThat(d.path("requestsLastMinute").asLong()).as(d.path("id").asText()).isPositive();
            assertThat(d.path("lastRequest").isNull()).isFalse();
        }
    }

    @Test
    void aPinToARetiredOrUnknownDeploymentGets410AndIsCountedAndAlerted() throws Exception {
        String v2 = gw.deployWithBackend("shop", page("v2"), api2.url());
        gw.activate("shop", v2);
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
        int before = api1.requests.get();
        HttpResponse<byte[]> gone = gw.get(HOST, "/api/version", "X-Skewgate-Deployment", v1);
        assertThat(gone.statusCode()).isEqualTo(410);
        assertThat(gone.headers().firstValue("Cache-Control")).contains("no-store");
        JsonNode body = JSON.readTree(gone.body());
        assertThat(body.path("error").asText()).isEqualTo("DEPLOYMENT_RETIRED");
        assertThat(body.path("deployment").asText()).isEqualTo(v1);
        assertThat(body.path("current").asText()).isEqualTo(v2);
        assertThat(body.path("message").asText()).isEqualTo("This version is no longer served. Refresh the page.");
        assertThat(api1.requests.get()).as("nothing reached the old backend").isEqualTo(before);
        assertThat(gw.get(HOST, "/api/version", "X-Skewgate-Deployment", "dpl_00000000000000000000000000").statusCode())
                .isEqualTo(410);
        assertThat(gw.get(HOST, "/api/version", "X-Skewgate-Deployment", "../../etc/passwd").statusCode()).isEqualTo(400);
        assertThat(gw.get(HOST, "/api/version", "X-Skewgate-Deployment", "dpl_" + "A".repeat(300)).statusCode())
                .isEqualTo(400);
        JsonNode alerts = gw.ok("GET", "/v1/sites/shop/status", null).body().path("alerts");
        assertThat(alerts).hasSize(1);
        assertThat(alerts.get(0).path("message").asText()).isEqualTo("traffic to retired deployment " + v1
                + ": 1 request in the last 5 min");
    }

    @Test
    void activationIsRefusedWhenTheBackendIsNotReadyAndTheOldVersionKeepsServing() throws Exception {
        api2.healthStatus = 503;
        String v2 = gw.deployWithBackend("shop", page("v2"), api2.url());
        long t0 = System.nanoTime();
        Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("BACKEND_NOT_READY");
        assertThat(refused.body().path("message").asText()).contains(api2.url(), "503", v1 + " stays live");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(40));
        assertThat(backendOf(gw.get(HOST, "/api/version"))).isEqualTo("api-v1");
        assertThat(gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText()).isEqualTo(v1);
    }

    @Test
    void activationIsRefusedWhenOnlyThePublicHostnameIsBroken() throws Exception {
        gw.createSite("shop-prod", "shop.internal", "shop.example.com");
        gw.ok("PATCH", "/v1/sites/shop-prod", Map.of("checks", Map.of("readinessTimeout", "2s")));
        String p1 = gw.deployWithBackend("shop-prod", page("v1"), api1.url());
        gw.activate("shop-prod", p1);
        // The new backend was only ever tried on the internal name (and its own address, as its readiness probe uses).
        api2.allowedHosts = List.of("shop.internal", "127.0.0.1");
        String p2 = gw.deployWithBackend("shop-prod", page("v2"), api2.url());
        Answer refused = gw.admin("POST", "/v1/sites/shop-prod/activate", Map.of("deployment", p2));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("SYNTHETIC_CHECK_FAILED");
        assertThat(refused.body().path("message").asText()).contains("shop.example.com (backend check")
                .doesNotContain("shop.internal (");
        assertThat(backendOf(gw.get("shop.example.com", "/api/version"))).isEqualTo("api-v1");
        JsonNode checks = gw.ok("GET", "/v1/sites/shop-prod/status", null).body().path("checks");
        assertThat(checks.findValuesAsText("host")).contains("shop.internal", "shop.example.com");
    }

    @Test
    void forwardingHeadersAreSetAndHopByHopHeadersStrippedBothWays() throws Exception {
        String raw = rawRequest("GET /api/echo?x=1 HTTP/1.1\r\nHost: " + HOST + ":" + gw.edgePort() + "\r\n"
                + "X-Forwarded-For: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\nConnection: close, X-Secret\r\nX-Secret: s3cr3t\r\n"
                + "Proxy-Connection: keep-alive\r\nKeep-Alive: 300\r\nTE: gzip\r\nX-Skewgate-Check: guess\r\n\r\n");
        String head = raw.substring(0, raw.indexOf("\r\n\r\n")).toLowerCase();
        JsonNode echo = JSON.readTree(raw.substring(raw.indexOf("{"), raw.lastIndexOf("}") + 1));
        JsonNode h = echo.path("headers");
        assertThat(echo.path("uri").asText()).isEqualTo("/api/echo?x=1");
        assertThat(h.path("host").asText()).as("original Host preserved").isEqualTo(HOST + ":" + gw.edgePort());
        assertThat(h.path("x-forwarded-for").asText()).as("client claims are not trusted").isEqualTo("127.0.0.1");
        assertThat(h.path("x-forwarded-proto").asText()).isEqualTo("http");
        assertThat(h.path("x-forwarded-host").asText()).isEqualTo(HOST + ":" + gw.edgePort());
        assertThat(h.path("forwarded").asText()).isEqualTo("for=127.0.0.1;proto=http;host=\"" + HOST + ":" + gw.edgePort() + "\"");
        assertThat(h.has("x-secret")).as("named in Connection").isFalse();
        assertThat(h.has("proxy-connection")).isFalse();
        assertThat(h.has("keep-alive")).isFalse();
        assertThat(h.has("te")).isFalse();
        assertThat(h.has("x-skewgate-check")).isFalse();
        assertThat(head).as("named in the backend's Connection").doesNotContain("x-leak");
        assertThat(head).doesNotContain("proxy-authenticate").doesNotContain("keep-alive").contains("cache-control: no-store");
    }

    @Test
    void backendFailuresAreClear502And504() throws Exception {
        assertThat(gw.get(HOST, "/api/hang").statusCode()).isEqualTo(504);
        api1.close();
        HttpResponse<byte[]> down = gw.get(HOST, "/api/version");
        assertThat(down.statusCode()).isEqualTo(502);
        assertThat(JSON.readTree(down.body()).path("error").asText()).isEqualTo("BACKEND_UNREACHABLE");
        assertThat(text(down)).as("a public body names the deployment, never the backend's address").contains(v1)
                .doesNotContain("127.0.0.1").doesNotContain(api1.url().substring(api1.url().lastIndexOf(':') + 1));
        api1 = TestBackend.start("api-v1b");
    }

    @Test
    void ambiguousFramingIsRejectedWith400AndTheConnectionClosed() throws Exception {
        String raw = rawRequest("POST /api/echo HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/version HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n");
        assertThat(raw).startsWith("HTTP/1.1 400").doesNotContain("api-v1").endsWith("<closed>");
        String badChunk = rawRequest("POST /api/echo HTTP/1.1\r\nHost: " + HOST + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "zz\r\nhello\r\n0\r\n\r\n");
        assertThat(badChunk).startsWith("HTTP/1.1 400").endsWith("<closed>");
    }

    @Test
    void aBrokenBodyIsOneWarnLineWithTheRequestIdAndNoErrors() throws Exception {
        java.io.PrintStream original = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8)); // slf4j-simple writes to System.err
        try {
            String raw = rawRequest("POST /api/echo HTTP/1.1\r\nHost: " + HOST + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n5\r\nworldXX0\r\n\r\n");
            assertThat(raw).startsWith("HTTP/1.1 400").endsWith("<closed>");
            String id = raw.replaceAll("(?s).*x-request-id: (\\w+).*", "$1");
            // a normal request after it, so that anything the failure would still log has been logged
            assertThat(gw.get(HOST, "/api/version").statusCode()).isEqualTo(200);
            long deadline = System.currentTimeMillis() + 5_000;
            while (!captured.toString(StandardCharsets.UTF_8).contains(id) && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
            assertThat(lines.stream().filter(l -> l.contains(id))).singleElement().asString().contains("[WARN]")
                    .contains("POST /api/echo").contains("400");
            assertThat(lines).noneMatch(l -> l.contains("[ERROR]") || l.contains("IllegalStateException"));
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void webSocketsAreTunnelledAndClosedWithACodeWhenTheirDeploymentIsRetired() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            WebSocketClient client = vertx.createWebSocketClient();
            WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(gw.edgePort())
                    .setURI("/api/ws").addHeader("Host", HOST).addHeader("X-Skewgate-Deployment", v1);
            WebSocket ws = client.connect(options).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            CompletableFuture<String> echo = new CompletableFuture<>();
            CompletableFuture<Short> closed = new CompletableFuture<>();
            ws.textMessageHandler(echo::complete);
            ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
            ws.writeTextMessage("ping");
            assertThat(echo.get(5, TimeUnit.SECONDS)).isEqualTo("api-v1:ping");
            String v2 = gw.deployWithBackend("shop", page("v2"), api2.url());
            gw.activate("shop", v2);
            gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
            assertThat(closed.get(5, TimeUnit.SECONDS)).isEqualTo((short) WebSocketTunnels.RETIRED_CODE);
            assertThat(ws.closeReason()).isEqualTo(WebSocketTunnels.RETIRED_REASON);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void onlyAValidWebSocketUpgradeBecomesATunnel() throws Exception {
        String fooUpgrade = rawRequest("GET /api/echo HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: Upgrade\r\n"
                + "Upgrade: foo\r\n\r\n");
        assertThat(fooUpgrade).startsWith("HTTP/1.1 200").contains("api-v1").doesNotContain("101");
        String refused = rawRequest("GET /api/version HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: Upgrade\r\n"
                + "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        assertThat(refused).as("the backend answers 200, not 101: relayed as a plain response").startsWith("HTTP/1.1 200")
                .contains("api-v1");
    }

    @Test
    void badBackendsAreRefusedWhenDeployed() {
        for (Object bad : List.of(Map.of("upstreams", List.of("ftp://x")),
                Map.of("upstreams", List.of("http://127.0.0.1:" + gw.edgePort())),
                Map.of("upstreams", List.of("http://localhost:" + gw.adminPort())),
                Map.of("upstreams", List.of("http://127.0.0.1:9/path")),
                Map.of("upstreams", List.of(api1.url()), "healthPath", "health"))) {
            Answer a = gw.admin("POST", "/v1/sites/shop/deployments", Map.of("files", List.of(Map.of("path", "index.html",
                    "sha256", "a".repeat(64), "size", 1)), "backend", bad));
            assertThat(a.status()).as(bad.toString()).isEqualTo(400);
            assertThat(a.body().path("message").asText()).isNotBlank();
        }
    }

    @Test
    void aHealthPathThatRedirectsIsNotReady() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessProbes", 1)));
        Map<String, Object> backend = Map.of("upstreams", List.of(api2.url()), "healthPath", "/api/redirect-health");
        byte[] html = "<html></html>".getBytes(StandardCharsets.UTF_8);
        Answer created = gw.ok("POST", "/v1/sites/shop/deployments", Map.of("files", List.of(Map.of("path", "index.html",
                "sha256", TestGateway.sha256(html), "size", html.length)), "backend", backend));
        String id = created.body().path("deployment").path("id").asText();
        gw.ok("PUT", "/v1/deployments/" + id + "/blobs/" + TestGateway.sha256(html), html);
        gw.ok("POST", "/v1/deployments/" + id + "/finalize", null);
        Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", id));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.body().path("message").asText()).contains("302", "redirect");
    }

    @Test
    void gracefulShutdownLetsInFlightRequestsFinish() throws Exception {
        CompletableFuture<HttpResponse<byte[]>> slow = CompletableFuture.supplyAsync(() -> gw.get(HOST, "/api/slow"));
        api1.slowStarted.get(5, TimeUnit.SECONDS);
        gw.gateway().close();
        HttpResponse<byte[]> r = slow.get(10, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(text(r)).isEqualTo("api-v1 slow");
    }

    private String rawRequest(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", gw.edgePort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                }
                got.append("<closed>");
            } catch (java.net.SocketTimeoutException e) {
                got.append("<open>");
            }
            return got.toString();
        }
    }
}
