package dev.skewgate.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real API server on an ephemeral port, one per backend version, for proxy tests:
 * {@code /api/version} names it, {@code /api/health} answers as told, {@code /api/echo} returns what it received,
 * {@code /api/slow} waits, {@code /api/hang} never answers, {@code /api/ws} echoes WebSocket messages.
 */
public final class TestBackend implements AutoCloseable {

    private final Vertx vertx;
    private final HttpServer server;
    private final String name;
    public volatile int healthStatus = 200;
    /** How long the health path takes to answer (a backend that is slow to become ready). */
    public volatile long healthDelayMs = 0;
    /** When not empty, requests with any other Host get 400 (like Django's ALLOWED_HOSTS). */
    public volatile List<String> allowedHosts = List.of();
    public final AtomicInteger requests = new AtomicInteger();
    /** Completes when a request to /api/slow has arrived. */
    public final java.util.concurrent.CompletableFuture<Void> slowStarted = new java.util.concurrent.CompletableFuture<>();

    private TestBackend(Vertx vertx, String name) throws Exception {
        this.vertx = vertx;
        this.name = name;
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(this::handle)
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    public static TestBackend start(String name) throws Exception {
        return new TestBackend(Vertx.vertx(), name);
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    private void handle(HttpServerRequest req) {
        requests.incrementAndGet();
        String host = req.getHeader("host") == null ? "" : req.getHeader("host").replaceAll(":\\d+$", "");
        if (!allowedHosts.isEmpty() && !allowedHosts.contains(host)) {
            req.response().setStatusCode(400).end("DisallowedHost: " + host);
            return;
        }
        switch (req.path()) {
            case "/api/version" -> req.response().putHeader("content-type", "application/json")
                    .end(new JsonObject().put("backend", name).encode());
            case "/api/health" -> {
                int status = healthStatus;
                if (healthDelayMs > 0) {
                    vertx.setTimer(healthDelayMs, id -> req.response().setStatusCode(status).end(name + " health " + status));
                } else {
                    req.response().setStatusCode(status).end(name + " health " + status);
                }
            }
            case "/api/redirect-health" -> req.response().setStatusCode(302).putHeader("location", "/login").end();
            case "/api/echo" -> req.body().onSuccess(body -> {
                Map<String, String> headers = new TreeMap<>();
                req.headers().forEach(h -> headers.merge(h.getKey().toLowerCase(), h.getValue(), (a, b) -> a + " | " + b));
                req.response().putHeader("content-type", "application/json")
                        .putHeader("x-leak", "secret").putHeader("connection", "x-leak")
                        .putHeader("keep-alive", "timeout=5").putHeader("proxy-authenticate", "Basic")
                        .end(new JsonObject().put("backend", name).put("method", req.method().name())
                                .put("uri", req.uri()).put("headers", new JsonObject(new TreeMap<>(headers)))
                                .put("bodyLength", body.length()).encode());
            });
            case "/api/slow" -> {
                slowStarted.complete(null);
                vertx.setTimer(800, id -> req.response().end(name + " slow"));
            }
            case "/api/ws" -> req.toWebSocket().onSuccess(ws -> ws.textMessageHandler(m -> ws.writeTextMessage(name + ":" + m)));
            case "/api/hang" -> { }
            default -> req.response().setStatusCode(404).end(name + " 404");
        }
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
