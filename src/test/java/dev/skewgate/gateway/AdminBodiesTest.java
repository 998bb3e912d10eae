package dev.skewgate.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.admin.AdminApi;
import dev.skewgate.admin.AdminToken;
import dev.skewgate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every admin endpoint (taken from the router itself, so a new one is covered without editing this test) gets every
 * kind of body under every content type: whatever it answers, it is never a 5xx, and every error has the one shape.
 */
class AdminBodiesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<String> CONTENT_TYPES = List.of("application/json", "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz", "text/plain; charset=utf-8", "application/octet-stream",
            "application/xml", "");

    @TempDir
    Path dir;

    @Test
    void everyEndpointAnswersEveryContentTypeAndBodyWithA4xxOrSuccessInTheErrorShape() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            gw.createSite("shop", "shop.test");
            String live = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>"));
            gw.activate("shop", live);
            String sha = TestGateway.sha256("x".getBytes(StandardCharsets.UTF_8));
            String uploading = gw.ok("POST", "/v1/sites/shop/deployments", Map.of("files",
                    List.of(Map.of("path", "x.txt", "sha256", sha, "size", 1)))).body().path("deployment").path("id").asText();

            Map<String, byte[]> bodies = new LinkedHashMap<>();
            bodies.put("empty", new byte[0]);
            bodies.put("json object", "{\"deployment\":\"dpl_nope\",\"name\":\"n\"}".getBytes(StandardCharsets.UTF_8));
            bodies.put("broken json", "{\"a\":".getBytes(StandardCharsets.UTF_8));
            bodies.put("small form", "a=1&b=%zz&c".getBytes(StandardCharsets.UTF_8));
            bodies.put("2 MB form field", ("a=" + "x".repeat(2 << 20)).getBytes(StandardCharsets.UTF_8));
            bodies.put("multipart", ("--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n"
                    + "y".repeat(3 << 20) + "\r\n--xyz--\r\n").getBytes(StandardCharsets.UTF_8));
            bodies.put("binary", new byte[] {0, (byte) 0xff, (byte) 0xfe, 1, 2, 3});

            List<String> failures = new ArrayList<>();
            int requests = 0;
            for (String[] endpoint : endpoints(gw)) {
                String path = endpoint[1].replace(":site", "shop").replace(":sha", sha)
                        .replace(":id", endpoint[1].contains("blobs") ? uploading : live);
                for (String type : CONTENT_TYPES) {
                    for (var body : bodies.entrySet()) {
                        requests++;
                        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.adminUrl() + path))
                                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + gw.token())
                                .method(endpoint[0], HttpRequest.BodyPublishers.ofByteArray(body.getValue()));
                        if (!type.isEmpty()) {
                            b.header("Content-Type", type);
                        }
                        HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                        String what = endpoint[0] + " " + endpoint[1] + " [" + type + "] " + body.getKey() + " -> "
                                + r.statusCode();
                        if (r.statusCode() >= 500) {
                            failures.add(what + " " + new String(r.body(), StandardCharsets.UTF_8));
                        } else if (r.statusCode() >= 400) {
                            JsonNode json = JSON.readTree(r.body());
                            if (!json.path("error").isTextual() || !json.path("message").isTextual() || json.size() != 2) {
                                failures.add(what + " not in the error shape: " + json);
                            }
                        }
                    }
                }
            }
            assertTrue(requests > 150, "too few requests: " + requests);
            assertTrue(failures.isEmpty(), failures.size() + " of " + requests + " failed:\n" + String.join("\n", failures));
        }
    }

    @Test
    void aBodyAnnouncedWithExpect100ContinueIsAskedFor() throws Exception {
        try (TestGateway gw = TestGateway.start(dir); java.net.Socket s = new java.net.Socket("127.0.0.1", gw.adminPort())) {
            s.setSoTimeout(5_000);
            byte[] body = "{\"name\":\"shop\",\"hosts\":[\"shop.test\"]}".getBytes(StandardCharsets.UTF_8);
            s.getOutputStream().write(("POST /v1/sites HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + gw.token()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] interim = new byte[25];
            int n = s.getInputStream().readNBytes(interim, 0, interim.length);
            assertTrue(new String(interim, 0, n, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 100 Continue"),
                    new String(interim, 0, n, StandardCharsets.US_ASCII));
            s.getOutputStream().write(body);
            byte[] answer = new byte[12];
            s.getInputStream().readNBytes(answer, 0, answer.length);
            String text = new String(answer, StandardCharsets.US_ASCII);
            assertTrue(text.contains("201"), text);
        }
    }

    /** Method and path of every route the admin router has, from the router. */
    private static List<String[]> endpoints(TestGateway gw) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            AdminApi api = new AdminApi(gw.gateway().control(), AdminToken.loadOrCreate(gw.dataDir()), () -> 0,
                    () -> io.vertx.core.Future.succeededFuture(java.util.Optional.empty()), gw.gateway().certificates());
            TreeSet<String> seen = new TreeSet<>();
            for (Route route : api.router(vertx).getRoutes()) {
                if (route.getPath() == null || route.methods() == null) {
                    continue;
                }
                for (HttpMethod m : route.methods()) {
                    seen.add(m.name() + " " + route.getPath());
                }
            }
            assertTrue(seen.size() >= 20, "the router listed only " + seen);
            return seen.stream().map(s -> s.split(" ", 2)).toList();
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get();
        }
    }
}
