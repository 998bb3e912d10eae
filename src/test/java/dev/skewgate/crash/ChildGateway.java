package dev.skewgate.crash;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code skewgate serve} running in a child JVM on a given data directory, so a test can kill it with SIGKILL at
 * any moment and start a new one on the same directory. Its stdout and stderr are appended to one log file.
 */
final class ChildGateway implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START_DEADLINE = Duration.ofSeconds(30);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    /** One client for every child: each client owns a selector thread, and Java 17 cannot close one. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final Path log;
    private final int edgePort;
    private final int adminPort;
    private final String token;

    private ChildGateway(Process process, Path log, int edgePort, int adminPort, String token) {
        this.process = process;
        this.log = log;
        this.edgePort = edgePort;
        this.adminPort = adminPort;
        this.token = token;
    }

    /** An admin API answer: the status and the parsed JSON body. */
    record Reply(int status, JsonNode body) {
        String error() {
            return body.path("error").asText("");
        }
    }

    /** A data-plane answer: status, the deployment that served it, and the body as text. */
    record EdgeReply(int status, String deployment, String body) {
    }

    /**
     * Starts a gateway on {@code dataDir} and returns once its admin API answers {@code /v1/health}. Ports are
     * chosen free just before the start; if another process takes one in that instant, it retries on new ports.
     */
    static ChildGateway start(Path dataDir, Path log) throws IOException, InterruptedException {
        return start(dataDir, log, new String[0]);
    }

    /** A gateway started with more {@code serve} options. */
    static ChildGateway start(Path dataDir, Path log, String... options) throws IOException, InterruptedException {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int edge = freePort();
            int admin = freePort();
            while (admin == edge) {
                admin = freePort();
            }
            Process process = launch(dataDir, log, edge, admin, options);
            ChildGateway child = null;
            try {
                child = awaitReady(process, dataDir, log, edge, admin);
                return child;
            } catch (IllegalStateException e) {
                last = e;
                if (!tail(log).contains("could not start the")) {
                    throw e; // not a port clash: retrying would not help
                }
            } finally {
                if (child == null) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
        throw last;
    }

    private static Process launch(Path dataDir, Path log, int edgePort, int adminPort, String... options)
            throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new java.util.ArrayList<>(List.of(
                java.toString(),
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1", // starts faster; the child only has to live a few seconds
                "-Dvertx.cacheDirBase=" + dataDir.resolveSibling("vertx-cache"),
                "-cp", System.getProperty("java.class.path"),
                "dev.skewgate.app.Main", "serve",
                "--host", "127.0.0.1",
                "--port", Integer.toString(edgePort),
                "--admin-port", Integer.toString(adminPort),
                "--data-dir", dataDir.toString()));
        command.addAll(List.of(options));
        Files.writeString(log, "---- starting a gateway: edge port " + edgePort + ", admin port " + adminPort + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return new ProcessBuilder(command)
                .directory(dataDir.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
    }

    private static ChildGateway awaitReady(Process process, Path dataDir, Path log, int edge, int admin)
            throws InterruptedException {
        long deadline = System.nanoTime() + START_DEADLINE.toNanos();
        Path tokenFile = dataDir.resolve("admin-token");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the gateway exited with code " + process.exitValue()
                        + " before it was ready; log tail:\n" + tail(log));
            }
            if (Files.isRegularFile(tokenFile)) {
                try {
                    String token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
                    HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + admin + "/v1/health"))
                            .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(2)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (health.statusCode() == 200) {
                        return new ChildGateway(process, log, edge, admin, token);
                    }
                } catch (IOException e) {
                    // not listening yet (or the token file is being renamed into place): poll again
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the gateway did not answer /v1/health within " + START_DEADLINE
                + "; log tail:\n" + tail(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /**
     * A new gateway process on the same data dir and the same ports as this one (which must have exited): what a
     * load balancer with fixed server addresses sees of a restart.
     */
    ChildGateway restart(Path dataDir, Path log, String... options) throws IOException, InterruptedException {
        Process process = launch(dataDir, log, edgePort, adminPort, options);
        try {
            return awaitReady(process, dataDir, log, edgePort, adminPort);
        } catch (IllegalStateException e) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw e;
        }
    }

    int edgePort() {
        return edgePort;
    }

    int adminPort() {
        return adminPort;
    }

    String token() {
        return token;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL (on Linux {@link Process#destroyForcibly()} is {@code kill -9}) and wait until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the gateway process " + process.pid() + " did not die after SIGKILL");
        }
    }

    /** SIGTERM, the way a service manager stops the gateway; returns its exit code. */
    int terminate() throws InterruptedException {
        sigterm();
        return awaitExit();
    }

    /** SIGTERM without waiting: the test watches the graceful stop. */
    void sigterm() {
        process.destroy();
    }

    /** Waits for the process to exit and returns its exit code. */
    int awaitExit() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the gateway process " + process.pid() + " did not stop after SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }

    /** The last lines of the child's log, for assertion messages. */
    String logTail() {
        return tail(log);
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e + ")";
        }
    }

    // ---- admin API ---------------------------------------------------------------------------------------------

    Reply get(String path) throws IOException, InterruptedException {
        return send(adminRequest(path).GET().build());
    }

    Reply post(String path, Object body) throws IOException, InterruptedException {
        return send(adminRequest(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build());
    }

    Reply put(String path, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        return send(adminRequest(path).header("Content-Type", "application/octet-stream").PUT(body).build());
    }

    private HttpRequest.Builder adminRequest(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .header("Authorization", "Bearer " + token)
                .timeout(REQUEST_TIMEOUT);
    }

    private Reply send(HttpRequest request) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
        byte[] body = response.body();
        JsonNode json = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        return new Reply(response.statusCode(), json);
    }

    // ---- data plane --------------------------------------------------------------------------------------------

    /** A browser-like navigation to {@code path} of the site served for {@code host}. */
    EdgeReply navigate(String host, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(edgeRequest(host, path).header("Accept", "text/html")
                        .header("Sec-Fetch-Mode", "navigate").build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new EdgeReply(response.statusCode(),
                response.headers().firstValue("X-Skewgate-Deployment").orElse(""), response.body());
    }

    /** Streams a file of the site served for {@code host}; the caller closes the stream. */
    HttpResponse<InputStream> download(String host, String path) throws IOException, InterruptedException {
        return HTTP.send(edgeRequest(host, path).header("Accept", "*/*").build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    private HttpRequest.Builder edgeRequest(String host, String path) {
        // The JDK client sends a Host header only with -Djdk.httpclient.allowRestrictedHeaders=host (pom argLine).
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edgePort + path))
                .header("Host", host)
                .timeout(REQUEST_TIMEOUT)
                .GET();
    }
}
