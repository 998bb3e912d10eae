package dev.skewgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.app.Gateway;
import dev.skewgate.config.ServeSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real gateway for tests: its own data directory, ephemeral ports, real HTTP. Helpers speak the admin API and
 * make edge requests with any Host header.
 */
public final class TestGateway implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final Path dataDir;
    private final java.util.function.UnaryOperator<ServeSettings> tune;
    private java.util.function.Consumer<String> beforePendingCompile = site -> { };
    private java.time.Clock clock = java.time.Clock.systemUTC();
    private Gateway gateway;
    private String token;

    private TestGateway(Path dataDir, java.util.function.UnaryOperator<ServeSettings> tune) {
        this.dataDir = dataDir;
        this.tune = tune;
    }

    public static TestGateway start(Path dataDir) throws IOException {
        return start(dataDir, s -> s);
    }

    /** A gateway whose settings the test adjusts (short timeouts, say). */
    public static TestGateway start(Path dataDir, java.util.function.UnaryOperator<ServeSettings> tune) throws IOException {
        TestGateway t = new TestGateway(dataDir, tune);
        t.boot();
        return t;
    }

    /** A gateway that reads the time off {@code clock} (a node whose clock is skewed). */
    public static TestGateway start(Path dataDir, java.util.function.UnaryOperator<ServeSettings> tune,
                                    java.time.Clock clock) throws IOException {
        TestGateway t = new TestGateway(dataDir, tune);
        t.clock = clock;
        t.boot();
        return t;
    }

    private void boot() throws IOException {
        gateway = Gateway.start(tune.apply(ServeSettings.of(0, 0, dataDir)), beforePendingCompile, clock);
        token = Files.readString(dataDir.resolve("admin-token")).trim();
    }

    /** Stops and starts the gateway on the same data directory (new ports). */
    public void restart() throws IOException {
        gateway.close();
        boot();
    }

    /**
     * The same, the new gateway calling {@code beforePendingCompile} with each site before its background compile of
     * the deployments the start left pending (see {@link Gateway#start(ServeSettings, java.util.function.Consumer)}).
     */
    public void restart(java.util.function.Consumer<String> beforePendingCompile) throws IOException {
        this.beforePendingCompile = beforePendingCompile;
        restart();
    }

    public Path dataDir() {
        return dataDir;
    }

    public String token() {
        return token;
    }

    public Gateway gateway() {
        return gateway;
    }

    public int edgePort() {
        return gateway.edgePort();
    }

    public int adminPort() {
        return gateway.adminPort();
    }

    public String adminUrl() {
        return "http://127.0.0.1:" + gateway.adminPort();
    }

    /** An admin API answer. */
    public record Answer(int status, JsonNode body, HttpResponse<byte[]> raw) {
        public String error() {
            return body.path("error").asText();
        }
    }

    public Answer admin(String method, String path, Object body, String... headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(adminUrl() + path)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + token);
            for (int i = 0; i < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : body instanceof byte[] bytes ? HttpRequest.BodyPublishers.ofByteArray(bytes)
                    : body instanceof String s ? HttpRequest.BodyPublishers.ofString(s)
                    : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body));
            HttpResponse<byte[]> r = HTTP.send(b.method(method, publisher).build(), HttpResponse.BodyHandlers.ofByteArray());
            JsonNode json = r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
            return new Answer(r.statusCode(), json, r);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The row of {@code GET /v1/certificates} for {@code host}, or a missing node. */
    public JsonNode certificate(String host) {
        for (JsonNode c : ok("GET", "/v1/certificates", null).body().path("certificates")) {
            if (c.path("host").asText().equals(host)) {
                return c;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    public Answer ok(String method, String path, Object body) {
        Answer a = admin(method, path, body);
        if (a.status() >= 300) {
            throw new AssertionError(method + " " + path + " -> " + a.status() + " " + a.body());
        }
        return a;
    }

    public void createSite(String name, String... hosts) {
        ok("POST", "/v1/sites", Map.of("name", name, "hosts", List.of(hosts)));
    }

    /** Uploads a build (path -> content) through the admin API and returns the staged deployment's id. */
    public String deploy(String site, Map<String, String> files) {
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        files.forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.UTF_8)));
        return deployBytes(site, bytes);
    }

    /** Deploys a build whose API goes to {@code backend} (health path /api/health). */
    public String deployWithBackend(String site, Map<String, String> files, String backend) {
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        files.forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.UTF_8)));
        return deployBytes(site, bytes, Map.of("upstreams", List.of(backend), "healthPath", "/api/health"));
    }

    /** Deploys a build whose API goes to {@code backend}, answering readiness probes at {@code healthPath}. */
    public String deployBytesWithBackendAndHealth(String site, Map<String, String> files, String backend,
                                                  String healthPath) {
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        files.forEach((k, v) -> bytes.put(k, v.getBytes(StandardCharsets.UTF_8)));
        return deployBytes(site, bytes, Map.of("upstreams", List.of(backend), "healthPath", healthPath));
    }

    public String deployBytes(String site, Map<String, byte[]> files) {
        return deployBytes(site, files, null);
    }

    public String deployBytesWithBackend(String site, Map<String, byte[]> files, String backend) {
        return deployBytes(site, files, Map.of("upstreams", List.of(backend), "healthPath", "/api/health"));
    }

    private String deployBytes(String site, Map<String, byte[]> files, Object backend) {
        List<Map<String, Object>> manifest = new ArrayList<>();
        Map<String, byte[]> bySha = new LinkedHashMap<>();
        files.forEach((path, content) -> {
            String sha = sha256(content);
            manifest.add(Map.of("path", path, "sha256", sha, "size", content.length));
            bySha.put(sha, content);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("files", manifest);
        body.put("message", "test");
        if (backend != null) {
            body.put("backend", backend);
        }
        Answer created = ok("POST", "/v1/sites/" + site + "/deployments", body);
        String id = created.body().path("deployment").path("id").asText();
        for (JsonNode sha : created.body().path("missing")) {
            ok("PUT", "/v1/deployments/" + id + "/blobs/" + sha.asText(), bySha.get(sha.asText()));
        }
        ok("POST", "/v1/deployments/" + id + "/finalize", Map.of());
        return id;
    }

    /**
     * Deploys a build with a backend folder for the gateway to run: {@code backend} maps paths to contents (a path
     * ending in {@code @x} is executable, without the marker), {@code settings} holds run, instances, healthPath and
     * the other managed settings of the wire.
     */
    public String deployManaged(String site, Map<String, String> frontend, Map<String, String> backend,
                                Map<String, Object> settings) {
        List<Map<String, Object>> manifest = new ArrayList<>();
        List<Map<String, Object>> folder = new ArrayList<>();
        Map<String, byte[]> bySha = new LinkedHashMap<>();
        frontend.forEach((path, text) -> {
            byte[] content = text.getBytes(StandardCharsets.UTF_8);
            String sha = sha256(content);
            manifest.add(Map.of("path", path, "sha256", sha, "size", content.length));
            bySha.put(sha, content);
        });
        backend.forEach((path, text) -> {
            byte[] content = text.getBytes(StandardCharsets.UTF_8);
            String sha = sha256(content);
            boolean exec = path.endsWith("@x");
            folder.add(Map.of("path", exec ? path.substring(0, path.length() - 2) : path, "sha256", sha,
                    "size", content.length, "mode", exec ? "exec" : "file"));
            bySha.put(sha, content);
        });
        Map<String, Object> b = new LinkedHashMap<>(settings);
        b.put("files", folder);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("files", manifest);
        body.put("message", "test");
        body.put("backend", b);
        Answer created = ok("POST", "/v1/sites/" + site + "/deployments", body);
        String id = created.body().path("deployment").path("id").asText();
        for (JsonNode sha : created.body().path("missing")) {
            ok("PUT", "/v1/deployments/" + id + "/blobs/" + sha.asText(), bySha.get(sha.asText()));
        }
        ok("POST", "/v1/deployments/" + id + "/finalize", Map.of());
        return id;
    }

    public void activate(String site, String id) {
        ok("POST", "/v1/sites/" + site + "/activate", Map.of("deployment", id));
    }

    /** A GET (or other method) to the edge listener with the given Host and extra headers. */
    public HttpResponse<byte[]> edge(String method, String host, String path, String... headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edgePort() + path))
                    .timeout(Duration.ofSeconds(30)).header("Host", host);
            for (int i = 0; i < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            return HTTP.send(b.method(method, HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<byte[]> get(String host, String path, String... headers) {
        return edge("GET", host, path, headers);
    }

    public static String text(HttpResponse<byte[]> r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    public static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (gateway != null) {
            gateway.close();
        }
    }
}
