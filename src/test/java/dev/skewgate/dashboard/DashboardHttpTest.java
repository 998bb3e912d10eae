package dev.skewgate.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.testing.SseClient;
import dev.skewgate.testing.TestGateway;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's guards over plain HTTP: sessions and CSRF, the Host allow-list, the sign-in throttle, the stream. */
class DashboardHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String HOST = "shop.localhost";

    @TempDir
    Path dir;

    /** A session: its cookie ("name=value") and CSRF token. */
    record Session(String cookie, String csrf) {
    }

    static HttpResponse<String> send(TestGateway gw, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.adminUrl() + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Session signIn(TestGateway gw) throws Exception {
        HttpResponse<String> r = send(gw, "POST", "/v1/session", "{\"token\":\"" + gw.token() + "\"}",
                "content-type", "application/json");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String setCookie = r.headers().firstValue("set-cookie").orElseThrow();
        return new Session(setCookie.substring(0, setCookie.indexOf(';')), JSON.readTree(r.body()).path("csrf").asText());
    }

    private String twoVersions(TestGateway gw) {
        gw.createSite("shop", HOST);
        String v1 = gw.deploy("shop", Map.of("index.html", "<html><body>v1</body></html>"));
        gw.activate("shop", v1);
        gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<html><body>v2</body></html>")));
        return v1;
    }

    @Test
    void signInSetsAStrictHttpOnlySessionCookieAndTheSessionReads() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            HttpResponse<String> r = send(gw, "POST", "/v1/session", "{\"token\":\"" + gw.token() + "\"}");
            String cookie = r.headers().firstValue("set-cookie").orElseThrow();
            assertThat(cookie).startsWith(Dashboard.COOKIE + "=").containsIgnoringCase("; HttpOnly").contains("SameSite=Strict")
                    .contains("Path=/");
            // 256 random bits, base64url without padding: 43 characters
            assertThat(cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'))).hasSize(43);
            Session s = signIn(gw);
            assertThat(send(gw, "GET", "/v1/sites", null, "cookie", s.cookie()).statusCode()).isEqualTo(200);
            assertThat(send(gw, "GET", "/v1/sites", null, "cookie", Dashboard.COOKIE + "=forged").statusCode())
                    .isEqualTo(401);
        }
    }

    @Test
    void aChangeThroughASessionWithoutTheCsrfHeaderIsRefusedAndChangesNothing() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            String v1 = twoVersions(gw);
            String live = gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText();
            Session s = signIn(gw);
            HttpResponse<String> none = send(gw, "POST", "/v1/sites/shop/rollback", "{}", "cookie", s.cookie());
            assertThat(none.statusCode()).isEqualTo(403);
            assertThat(JSON.readTree(none.body()).path("error").asText()).isEqualTo("CSRF_TOKEN_MISSING");
            HttpResponse<String> wrong = send(gw, "POST", "/v1/sites/shop/rollback", "{}", "cookie", s.cookie(),
                    Dashboard.CSRF_HEADER, s.csrf().substring(1) + "x");
            assertThat(wrong.statusCode()).isEqualTo(403);
            assertThat(gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText()).isEqualTo(live);

            HttpResponse<String> right = send(gw, "POST", "/v1/sites/shop/rollback", "{}", "cookie", s.cookie(),
                    Dashboard.CSRF_HEADER, s.csrf());
            assertThat(right.statusCode()).as(right.body()).isEqualTo(200);
            assertThat(gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText()).isEqualTo(v1);
            // the bearer token still works as before, with no CSRF header
            assertThat(gw.admin("POST", "/v1/sites/shop/rollback", Map.of()).status()).isEqualTo(200);
        }
    }

    @Test
    void aForeignHostIsRefusedWith421AndLoopbackNamesAndConfiguredOnesAreAnswered() throws Exception {
        try (TestGateway gw = TestGateway.start(dir, s -> s.withAdminHostNames(List.of("admin.internal")))) {
            for (String host : List.of("evil.example", "rebind.attacker.test:" + gw.adminPort(), "localhost.evil.example")) {
                Raw r = Raw.get(gw.adminPort(), host, "/v1/sites", "Authorization: Bearer " + gw.token());
                assertThat(r.status()).as(host).isEqualTo(421);
                assertThat(JSON.readTree(r.body()).path("error").asText()).as(host).isEqualTo("MISDIRECTED_HOST");
                assertThat(Raw.get(gw.adminPort(), host, "/").status()).as("the page too, " + host).isEqualTo(421);
            }
            for (String host : List.of("127.0.0.1:" + gw.adminPort(), "localhost", "[::1]:" + gw.adminPort(),
                    "admin.internal", "Admin.Internal.")) {
                assertThat(Raw.get(gw.adminPort(), host, "/v1/sites", "Authorization: Bearer " + gw.token()).status())
                        .as(host).isEqualTo(200);
            }
        }
    }

    @Test
    void theFifthWrongTokenFromOneClientIsAnswered429AndThenEvenTheRightOneWaits() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            for (int i = 1; i <= 4; i++) {
                HttpResponse<String> r = send(gw, "POST", "/v1/session", "{\"token\":\"sgt_wrong" + i + "\"}");
                assertThat(r.statusCode()).as("attempt " + i).isEqualTo(401);
            }
            HttpResponse<String> fifth = send(gw, "POST", "/v1/session", "{\"token\":\"sgt_wrong5\"}");
            assertThat(fifth.statusCode()).isEqualTo(429);
            assertThat(JSON.readTree(fifth.body()).path("error").asText()).isEqualTo("TOO_MANY_ATTEMPTS");
            assertThat(fifth.headers().firstValue("retry-after")).hasValue("1");
            HttpResponse<String> right = send(gw, "POST", "/v1/session", "{\"token\":\"" + gw.token() + "\"}");
            assertThat(right.statusCode()).as("locked: the token is not even compared").isEqualTo(429);
            assertThat(right.headers().firstValue("set-cookie")).isEmpty();
            // bearer calls are not throttled: the CLI keeps working
            assertThat(gw.admin("GET", "/v1/sites", null).status()).isEqualTo(200);
        }
    }

    @Test
    void thePageIsServedUncachedWithoutCorsAndTheStreamSendsCountsToATokenOrASession() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            String v1 = twoVersions(gw);
            HttpResponse<String> page = send(gw, "GET", "/", null, "origin", "http://evil.example");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("cache-control")).hasValue("no-cache");
            assertThat(page.headers().firstValue("content-security-policy").orElseThrow()).contains("frame-ancestors 'none'");
            assertThat(page.body()).contains("/dashboard/app.js");
            HttpResponse<String> api = send(gw, "GET", "/v1/sites", null, "authorization", "Bearer " + gw.token(),
                    "origin", "http://evil.example");
            assertThat(api.headers().map().keySet()).noneMatch(h -> h.toLowerCase().startsWith("access-control-"));
            assertThat(send(gw, "GET", "/v1/stream", null).statusCode()).isEqualTo(401);

            Session s = signIn(gw);
            for (String auth : List.of("Authorization: Bearer " + gw.token(), "Cookie: " + s.cookie())) {
                try (SseClient stream = SseClient.open(gw.adminPort(), "127.0.0.1", "/v1/stream", auth);
                     SseClient tab = SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=" + v1)) {
                    assertThat(stream.status()).as(auth).isEqualTo(200);
                    tab.next("hello", Duration.ofSeconds(5));
                    JsonNode counts = awaitTabs(stream, v1, 1);
                    assertThat(counts.path("sites").path("shop").path("live").asText()).isNotEqualTo(v1);
                }
            }
        }
    }

    /** Reads counts events until {@code deployment} of shop shows {@code tabs} open tabs (or the wait fails). */
    static JsonNode awaitTabs(SseClient stream, String deployment, int tabs) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            JsonNode counts = JSON.readTree(stream.next("counts", Duration.ofSeconds(5)).data());
            if (counts.path("sites").path("shop").path("deployments").path(deployment).path("openTabs").asInt() == tabs) {
                return counts;
            }
            assertThat(System.nanoTime()).as("no count of " + tabs + " tabs on " + deployment).isLessThan(deadline);
        }
    }

    /** One HTTP/1.1 request over a raw socket, for Host headers the JDK client will not send. */
    record Raw(int status, String body) {
        static Raw get(int port, String host, String path, String... headerLines) throws IOException {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n");
                for (String h : headerLines) {
                    req.append(h).append("\r\n");
                }
                OutputStream out = socket.getOutputStream();
                out.write(req.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                int status = Integer.parseInt(all.substring(9, 12));
                int split = all.indexOf("\r\n\r\n");
                return new Raw(status, all.substring(split + 4));
            }
        }
    }
}
