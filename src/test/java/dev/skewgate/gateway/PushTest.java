package dev.skewgate.gateway;

import static dev.skewgate.testing.TestGateway.text;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.push.NotifyWebhook;
import dev.skewgate.testing.SseClient;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Open tabs learn about every change: the event stream, runtime config and the deploy webhook over real HTTP. */
class PushTest {

    private static final String HOST = "shop.localhost";
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    TestGateway gw;
    String v1;

    @BeforeEach
    void start() throws Exception {
        gw = TestGateway.start(dir);
        gw.createSite("shop", HOST);
        v1 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>"));
        gw.activate("shop", v1);
    }

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    private SseClient stream(String... headers) throws Exception {
        return SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=" + v1, headers);
    }

    /** An activation of a new deployment, then a config change: two events a closed tab misses. */
    private String missTwoChanges() {
        String v2 = gw.deploy("shop", Map.of("index.html", "v2"));
        gw.activate("shop", v2);
        gw.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api.example.com"));
        return v2;
    }

    private String firstEventType(String... headers) {
        try (SseClient probe = stream(headers)) {
            return probe.next(WAIT).type();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void streamSaysHelloThenEveryActivationWithTheNotifiedCountAudited() throws Exception {
        try (SseClient tab = stream(); SseClient other = stream()) {
            assertThat(tab.status()).isEqualTo(200);
            assertThat(tab.head()).contains("text/event-stream", "no-store");
            JsonNode hello = JSON.readTree(tab.next("hello", WAIT).data());
            assertThat(hello.path("deployment").asText()).isEqualTo(v1);
            assertThat(hello.path("bootRetired").asBoolean()).isFalse();
            other.next("hello", WAIT);

            String v2 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v2</body></html>"));
            gw.activate("shop", v2);
            SseClient.Event event = tab.next("deployment", WAIT);
            JsonNode data = JSON.readTree(event.data());
            assertThat(data.path("deployment").asText()).isEqualTo(v2);
            assertThat(data.path("previous").asText()).isEqualTo(v1);
            assertThat(data.path("reason").asText()).isEqualTo("activate");
            assertThat(other.next("deployment", WAIT).id()).isEqualTo(event.id());

            JsonNode audit = gw.ok("GET", "/v1/sites/shop/events?limit=1", null).body().path("events").get(0);
            assertThat(audit.path("seq").asText()).isEqualTo(event.id());
            assertThat(audit.path("notified").asInt()).isEqualTo(2);
            assertThat(gw.ok("GET", "/v1/sites/shop/status", null).body().path("openClients").path(v1).asInt())
                    .isEqualTo(2);

            gw.ok("POST", "/v1/sites/shop/rollback", null);
            JsonNode back = JSON.readTree(tab.next("deployment", WAIT).data());
            assertThat(back.path("reason").asText()).isEqualTo("rollback");
            assertThat(back.path("required").asBoolean()).isTrue();
        }
    }

    @Test
    void reconnectingWithLastEventIdGetsWhatItMissed() throws Exception {
        String lastId;
        try (SseClient tab = stream()) {
            lastId = tab.next("hello", WAIT).id();
        }
        String v2 = missTwoChanges();
        try (SseClient again = stream("Last-Event-ID: " + lastId)) {
            assertThat(JSON.readTree(again.next(WAIT).data()).path("deployment").asText()).isEqualTo(v2);
            SseClient.Event config = again.next(WAIT);
            assertThat(config.type()).isEqualTo("config");
            assertThat(JSON.readTree(config.data()).path("config").path("API_BASE_URL").asText())
                    .isEqualTo("https://api.example.com");
        }
        try (SseClient old = stream("Last-Event-ID: 0")) {
            assertThat(old.next(WAIT).type()).as("too old to replay: a fresh hello").isEqualTo("hello");
        }
    }

    @Test
    void aTabThatReconnectsAfterTheGatewayRestartedGetsWhatItMissedFromTheStoredEvents() throws Exception {
        String lastId;
        try (SseClient tab = stream()) {
            lastId = tab.next("hello", WAIT).id();
        }
        String v2 = missTwoChanges();
        gw.restart(); // the new gateway never sent these two: it rebuilds them from the events table
        // ... just after it starts, off the start's path: until then a reconnect gets a fresh hello.
        dev.skewgate.testing.Await.until("a reconnect after the restart gets the missed events", WAIT.toMillis(),
                () -> !firstEventType("Last-Event-ID: " + lastId).equals("hello"));

        try (SseClient again = stream("Last-Event-ID: " + lastId)) {
            SseClient.Event switched = again.next(WAIT);
            assertThat(switched.type()).as("not a fresh hello").isEqualTo("deployment");
            assertThat(JSON.readTree(switched.data()).path("deployment").asText()).isEqualTo(v2);
            assertThat(JSON.readTree(switched.data()).path("previous").asText()).isEqualTo(v1);
            SseClient.Event config = again.next(WAIT);
            assertThat(config.type()).isEqualTo("config");
            assertThat(JSON.readTree(config.data()).path("config").path("API_BASE_URL").asText())
                    .isEqualTo("https://api.example.com");
            assertThat(Long.parseLong(config.id())).isGreaterThan(Long.parseLong(switched.id()));

            gw.ok("POST", "/v1/sites/shop/rollback", null); // and what the new gateway sends follows on
            SseClient.Event back = again.next("deployment", WAIT);
            assertThat(Long.parseLong(back.id())).isEqualTo(Long.parseLong(config.id()) + 1);
        }
        try (SseClient current = stream("Last-Event-ID: " + lastId)) {
            List<String> types = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                types.add(current.next(WAIT).type());
            }
            assertThat(types).as("rebuilt and sent notices in one replay").containsExactly("deployment", "config", "deployment");
        }
    }

    @Test
    void badStreamRequestsGetClear4xx() throws Exception {
        try (SseClient garbage = stream("Last-Event-ID: yesterday")) {
            assertThat(garbage.status()).isEqualTo(400);
        }
        try (SseClient future = stream("Last-Event-ID: 999999")) {
            assertThat(future.status()).isEqualTo(400);
        }
        try (SseClient badBoot = SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=../../x")) {
            assertThat(badBoot.status()).isEqualTo(400);
        }
        try (SseClient unknownHost = SseClient.open(gw.edgePort(), "nobody.test", "/_skewgate/events")) {
            assertThat(unknownHost.status()).isEqualTo(404);
        }
    }

    @Test
    void runtimeConfigIsServedInjectedAndHotSwapped() throws Exception {
        try (SseClient tab = stream()) {
            tab.next("hello", WAIT);
            Answer set = gw.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api.example.com",
                    "FEATURE_X", true));
            assertThat(set.body().path("revision").asLong()).isEqualTo(1);
            JsonNode event = JSON.readTree(tab.next("config", WAIT).data());
            assertThat(event.path("revision").asLong()).isEqualTo(1);
            assertThat(event.path("config").path("FEATURE_X").asBoolean()).isTrue();
        }
        HttpResponse<byte[]> config = gw.get(HOST, "/_skewgate/config.json");
        assertThat(JSON.readTree(config.body()).path("API_BASE_URL").asText()).isEqualTo("https://api.example.com");
        assertThat(config.headers().firstValue("Cache-Control")).contains("no-cache");
        String etag = config.headers().firstValue("ETag").orElseThrow();
        assertThat(gw.get(HOST, "/_skewgate/config.json", "If-None-Match", etag).statusCode()).isEqualTo(304);
        assertThat(text(gw.get(HOST, "/", "Accept", "text/html"))).contains("<meta name=\"skewgate-config\" content=\"{",
                "&quot;API_BASE_URL&quot;:&quot;https://api.example.com&quot;", "&quot;FEATURE_X&quot;:true");
        assertThat(JSON.readTree(gw.get(HOST, "/_skewgate/version.json").body()).path("configRevision").asLong()).isEqualTo(1);

        gw.ok("PATCH", "/v1/sites/shop", Map.of("client", Map.of("configAlias", "/config.json")));
        assertThat(text(gw.get(HOST, "/config.json"))).contains("api.example.com");
        gw.ok("PATCH", "/v1/sites/shop/config", java.util.Collections.singletonMap("FEATURE_X", null));
        assertThat(text(gw.get(HOST, "/config.json"))).doesNotContain("FEATURE_X");
        assertThat(gw.ok("GET", "/v1/sites/shop/events?limit=1", null).body().path("events").get(0).path("type").asText())
                .isEqualTo("config");
    }

    @Test
    void configThatIsNotAnObjectTooLargeOrLooksSecretIsRefused() {
        expect(gw.admin("PUT", "/v1/sites/shop/config", "[1,2,3]"), 400, "CONFIG_NOT_OBJECT");
        expect(gw.admin("PUT", "/v1/sites/shop/config", "{oops"), 400, "INVALID_JSON");
        expect(gw.admin("PUT", "/v1/sites/shop/config", Map.of("big", "x".repeat(70_000))), 413, "CONFIG_TOO_LARGE");
        Answer secret = gw.admin("PATCH", "/v1/sites/shop/config", Map.of("STRIPE_SECRET_KEY", "sk_live_x"));
        expect(secret, 400, "CONFIG_LOOKS_SECRET");
        assertThat(secret.body().path("message").asText()).contains("public", "--force");
        assertThat(gw.ok("GET", "/v1/sites/shop/config", null).body().path("revision").asLong()).as("nothing stored").isZero();
        assertThat(gw.admin("PATCH", "/v1/sites/shop/config?force=true", Map.of("PUBLIC_TOKEN_NAME", "x")).status())
                .isEqualTo(200);
        assertThat(gw.admin("PUT", "/v1/sites/shop/config", Map.of("a", 1), "If-Match", "\"0\"").status()).isEqualTo(412);
    }

    @Test
    void signedWebhookBroadcastsOnceAndBadDeliveriesGet4xx() throws Exception {
        String secret = gw.ok("POST", "/v1/sites/shop/webhook-secrets", null).body().path("secret").asText();
        String body = "{\"deployment\":\"web-7f3a2c\",\"message\":\"built by CI\"}";
        long now = System.currentTimeMillis() / 1000;
        try (SseClient tab = stream()) {
            tab.next("hello", WAIT);
            HttpResponse<String> ok = notify(body, sign(secret, now, body));
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(202);
            assertThat(ok.body()).contains("\"notified\":1");
            JsonNode event = JSON.readTree(tab.next("deployment", WAIT).data());
            assertThat(event.path("deployment").asText()).isEqualTo("web-7f3a2c");
            assertThat(event.path("external").asBoolean()).isTrue();

            HttpResponse<String> replay = notify(body, sign(secret, now, body));
            assertThat(replay.statusCode()).isEqualTo(200);
            assertThat(replay.body()).contains("duplicate");
            // A later, distinct delivery is broadcast on the same stream after any (wrong) broadcast of the replay:
            // the hub writes a notice before the webhook answers, and one stream's frames stay in order.
            String later = "{\"deployment\":\"web-later\"}";
            assertThat(notify(later, sign(secret, now + 5, later)).statusCode()).isEqualTo(202);
            SseClient.Event next = tab.next(WAIT);
            assertThat(next.type() + " " + JSON.readTree(next.data()).path("deployment").asText())
                    .as("a replayed delivery is not broadcast twice: the next event is the later delivery")
                    .isEqualTo("deployment web-later");
        }
        assertThat(notify(body, null).statusCode()).isEqualTo(401);
        assertThat(notify(body, sign("whsec_wrong", now, body)).statusCode()).isEqualTo(401);
        assertThat(notify(body, sign(secret, now - 600, body)).statusCode()).as("stale timestamp").isEqualTo(401);
        assertThat(notify(body, "t=abc,v1=zz").statusCode()).isEqualTo(401);
        assertThat(notify("{not json", sign(secret, now + 1, "{not json")).statusCode()).isEqualTo(400);
        assertThat(notify("{\"x\":1}", sign(secret, now + 2, "{\"x\":1}")).statusCode()).isEqualTo(400);
        String huge = "{\"deployment\":\"" + "x".repeat(NotifyWebhook.MAX_BODY) + "\"}";
        assertThat(notify(huge, sign(secret, now, huge)).statusCode()).isEqualTo(413);

        String next = gw.ok("POST", "/v1/sites/shop/webhook-secrets", null).body().path("secret").asText();
        String other = "{\"deployment\":\"web-2\"}";
        assertThat(notify(other, sign(secret, now + 3, other)).statusCode()).as("the previous secret still works")
                .isEqualTo(202);
        assertThat(notify(other, sign(next, now + 4, other)).statusCode()).isEqualTo(202);
        assertThat(gw.ok("GET", "/v1/sites/shop/events?limit=1", null).body().path("events").get(0).path("type").asText())
                .isEqualTo("notify");
    }

    @Test
    void aDeliveryReplayedAfterARestartInsideTheWindowIsStillADuplicate() throws Exception {
        String secret = gw.ok("POST", "/v1/sites/shop/webhook-secrets", null).body().path("secret").asText();
        long now = System.currentTimeMillis() / 1000;
        String body = "{\"deployment\":\"web-restart\"}";
        String signature = sign(secret, now, body);
        assertThat(notify(body, signature).statusCode()).isEqualTo(202);
        gw.restart();
        try (SseClient tab = stream()) {
            tab.next("hello", WAIT);
            HttpResponse<String> replay = notify(body, signature);
            assertThat(replay.statusCode()).isEqualTo(200);
            assertThat(replay.body()).contains("duplicate");
        }
        assertThat(gw.ok("GET", "/v1/sites/shop/events?limit=5", null).body().path("events").findValuesAsText("type")
                .stream().filter("notify"::equals).count()).as("audited once").isEqualTo(1);
    }

    @Test
    void sdkIsServedSmallCompressedAndCachedByVersion() {
        String html = text(gw.get(HOST, "/", "Accept", "text/html"));
        String src = html.replaceAll("(?s).*<script src=\"([^\"]+)\"></script>.*", "$1");
        HttpResponse<byte[]> sdk = gw.get(HOST, src, "Accept-Encoding", "gzip");
        assertThat(sdk.statusCode()).isEqualTo(200);
        assertThat(sdk.headers().firstValue("Content-Encoding")).contains("gzip");
        assertThat(sdk.headers().firstValue("Cache-Control")).contains("public, max-age=31536000, immutable");
        assertThat(sdk.body().length).as("gzipped SDK size").isLessThan(5_000);
        assertThat(gw.get(HOST, "/_skewgate/client.js").headers().firstValue("Cache-Control")).contains("no-cache");
        gw.ok("PATCH", "/v1/sites/shop", Map.of("client", Map.of("injectSdk", false)));
        assertThat(text(gw.get(HOST, "/", "Accept", "text/html"))).doesNotContain("<script").contains("skewgate-deployment");
    }

    @Test
    void aPresenceReportCountsEveryTabOfASharedStreamAndOnlyDeploymentsThatExist() throws Exception {
        String v2 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v2</body></html>"));
        gw.activate("shop", v2);
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
        try (SseClient shared = SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=" + v2
                + "&stream=profile-1a2b3c")) {
            shared.next("hello", WAIT);
            assertThat(openClients()).as("one tab until the report").isEqualTo(Map.of(v2, 1));
            StringBuilder tabs = new StringBuilder("{\"" + v2 + "\":7,\"" + v1 + "\":2,\"dpl_00000000000000000000000000\":5,"
                    + "\"not-an-id\":9,\"" + v2.substring(0, 29) + "0\":1");
            for (int i = 0; i < 40; i++) {
                tabs.append(",\"x").append(i).append("\":1");
            }
            HttpResponse<String> ok = presence("{\"stream\":\"profile-1a2b3c\",\"tabs\":" + tabs + "}}");
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            assertThat(JSON.readTree(ok.body()).path("retired").toString()).as("so tabs on v1 learn it")
                    .isEqualTo("[\"" + v1 + "\"]");
            assertThat(openClients()).isEqualTo(Map.of(v2, 7, v1, 2));

            presence("{\"stream\":\"profile-1a2b3c\",\"tabs\":{\"" + v2 + "\":1000000}}");
            assertThat(openClients()).as("bounded per stream").isEqualTo(Map.of(v2, 1000));
            presence("{\"stream\":\"profile-1a2b3c\",\"tabs\":{\"" + v2 + "\":3}}");
            String v3 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v3</body></html>"));
            gw.activate("shop", v3);
            shared.next("deployment", WAIT);
            JsonNode audit = gw.ok("GET", "/v1/sites/shop/events?limit=1", null).body().path("events").get(0);
            assertThat(audit.path("notified").asInt()).as("every tab of the shared stream").isEqualTo(3);

            assertThat(presence("{\"stream\":\"someone-else\",\"tabs\":{}}").statusCode()).isEqualTo(404);
            assertThat(presence("not json").statusCode()).isEqualTo(400);
            assertThat(presence("{\"stream\":\"x\",\"tabs\":{}}").statusCode()).isEqualTo(400);
            assertThat(presence("{\"stream\":\"profile-1a2b3c\",\"tabs\":[]}").statusCode()).isEqualTo(400);
            assertThat(presence("{\"stream\":\"profile-1a2b3c\",\"tabs\":{\"pad\":\"" + "x".repeat(5000) + "\"}}")
                    .statusCode()).isEqualTo(413);
            assertThat(gw.get(HOST, "/_skewgate/presence").statusCode()).isEqualTo(405);
            assertThat(gw.get(HOST, "/_skewgate/events?stream=bad%20id").statusCode()).isEqualTo(400);
        }
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!openClients().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(openClients()).as("a closed stream takes its tabs along").isEmpty();
    }

    private Map<String, Integer> openClients() {
        Map<String, Integer> out = new java.util.TreeMap<>();
        gw.ok("GET", "/v1/sites/shop/status", null).body().path("openClients").fields().forEachRemaining(e -> {
            if (e.getValue().asInt() != 0) {
                out.put(e.getKey(), e.getValue().asInt());
            }
        });
        return out;
    }

    private HttpResponse<String> presence(String body) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gw.edgePort() + "/_skewgate/presence")).header("Host", HOST)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> notify(String body, String signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.edgePort() + "/_skewgate/notify"))
                .header("Host", HOST).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (signature != null) {
            b.header("X-Skewgate-Signature", signature);
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String sign(String secret, long timestamp, String body) {
        byte[] mac = NotifyWebhook.hmac(secret, (timestamp + "." + body).getBytes(StandardCharsets.UTF_8));
        return "t=" + timestamp + ",v1=" + HexFormat.of().formatHex(mac);
    }

    private static void expect(Answer a, int status, String code) {
        assertThat(a.status()).as(a.body().toString()).isEqualTo(status);
        assertThat(a.error()).isEqualTo(code);
    }

}
