package dev.skewgate.app;

import dev.skewgate.config.ServeSettings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The run that {@code mvn package} records the class-data-sharing archive of {@code serve} from (skewgate-serve.jsa,
 * used by {@code bin/skewgate serve}): a gateway in a temporary data directory gets a site with an active, a retained
 * and a staged deployment through its admin API, is stopped, and started again over that store, the way a real start
 * finds one; then its edge serves a page, a pinned chunk and its readiness. The classes loaded by then are archived,
 * with those of parsing a {@code serve} command line.
 */
public final class ServeTraining {

    private static final String HOST = "training.localhost";

    private ServeTraining() {
    }

    public static void main(String[] args) throws IOException {
        // The command line's own classes (picocli's are too old a class format to archive; ours are not).
        java.io.PrintWriter none = new java.io.PrintWriter(java.io.Writer.nullWriter());
        Main.run(none, none, "serve", "--help");
        Path work = Files.createTempDirectory("skewgate-cds-serve");
        try {
            ServeSettings settings = ServeSettings.of(0, 0, work.resolve("data"));
            String retained;
            try (Gateway gateway = Gateway.start(settings)) {
                String token = Files.readString(settings.dataDir().resolve("admin-token")).trim();
                Admin admin = new Admin(gateway.adminPort(), token);
                admin.call("POST", "/v1/sites", new JsonObject().put("name", "training")
                        .put("hosts", new JsonArray().add(HOST)).encode().getBytes(StandardCharsets.UTF_8));
                retained = admin.deploy(1);
                admin.activate(retained);
                admin.activate(admin.deploy(2));
                admin.deploy(3);
            }
            try (Gateway gateway = Gateway.start(settings)) {
                get(gateway.edgePort(), "/", "Accept: text/html");
                get(gateway.edgePort(), "/assets/chunk-1.js", "X-Skewgate-Deployment: " + retained);
                get(gateway.edgePort(), "/_skewgate/readyz", "Accept: */*");
            }
        } finally {
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(0);
    }

    /** One HTTP/1.1 request to the edge with the training site's Host, read to its end. */
    private static void get(int port, String path, String header) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + HOST + "\r\n" + header + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            socket.getInputStream().readAllBytes();
        }
    }

    /** The admin API calls a deploy makes, over the JDK's plain HTTP client. */
    private record Admin(int port, String token) {

        JsonObject call(String method, String path, byte[] body) throws IOException {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
                    .openConnection();
            c.setRequestMethod(method);
            c.setRequestProperty("Authorization", "Bearer " + token);
            c.setRequestProperty("Content-Type", "application/json");
            c.setDoOutput(true);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
            if (c.getResponseCode() >= 300) {
                throw new IOException(method + " " + path + " -> " + c.getResponseCode());
            }
            try (InputStream in = c.getInputStream()) {
                byte[] answer = in.readAllBytes();
                return answer.length == 0 ? new JsonObject() : new JsonObject(new String(answer, StandardCharsets.UTF_8));
            }
        }

        String deploy(int build) throws IOException {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("index.html", ("<!doctype html><title>build " + build + "</title>").getBytes(StandardCharsets.UTF_8));
            files.put("assets/chunk-" + build + ".js", ("export const b = " + build + ";").getBytes(StandardCharsets.UTF_8));
            files.put("assets/style.css", "body{margin:0}".getBytes(StandardCharsets.UTF_8));
            JsonArray manifest = new JsonArray();
            Map<String, byte[]> bySha = new LinkedHashMap<>();
            files.forEach((path, bytes) -> {
                String sha = dev.skewgate.model.Sha256.hex(bytes);
                manifest.add(new JsonObject().put("path", path).put("sha256", sha).put("size", bytes.length));
                bySha.put(sha, bytes);
            });
            JsonObject created = call("POST", "/v1/sites/training/deployments", new JsonObject().put("files", manifest)
                    .put("message", "training").encode().getBytes(StandardCharsets.UTF_8));
            String id = created.getJsonObject("deployment").getString("id");
            for (Object sha : created.getJsonArray("missing", new JsonArray())) {
                call("PUT", "/v1/deployments/" + id + "/blobs/" + sha, bySha.get((String) sha));
            }
            call("POST", "/v1/deployments/" + id + "/finalize", "{}".getBytes(StandardCharsets.UTF_8));
            return id;
        }

        void activate(String id) throws IOException {
            call("POST", "/v1/sites/training/activate", new JsonObject().put("deployment", id).encode()
                    .getBytes(StandardCharsets.UTF_8));
        }
    }
}
