package dev.skewgate.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP backend whose answer the request's query shapes, for tests of what the gateway does to proxied
 * responses: {@code /api/shaped?type=application/json&size=5000&status=200&chunked=1&header=Vary:Origin} (header
 * repeatable, as NAME:VALUE). {@code /api/stream?type=...} sends {@link #FIRST}, then the rest of a
 * {@code size}-byte body once {@link #release} completes, so a test can see the first part arrive before the end.
 */
public final class ShapedBackend implements AutoCloseable {

    /** The first part of a streamed answer. */
    public static final String FIRST = "data: first\n\n";

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    /** Completed by the test to let a streamed answer finish. */
    public final CompletableFuture<Void> release = new CompletableFuture<>();

    private ShapedBackend() throws Exception {
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(this::handle)
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    public static ShapedBackend start() throws Exception {
        return new ShapedBackend();
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    /** The body of {@code size} bytes that every answer carries: JSON-looking text that compresses well. */
    public static byte[] body(int size) {
        StringBuilder b = new StringBuilder(size + 40);
        for (int i = 0; b.length() < size; i++) {
            b.append("{\"id\":").append(i).append(",\"name\":\"item ").append(i * 7 % 1000).append("\"},\n");
        }
        return b.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    private void handle(HttpServerRequest req) {
        HttpServerResponse r = req.response();
        int size = Integer.parseInt(param(req, "size", "5000"));
        r.setStatusCode(Integer.parseInt(param(req, "status", "200")));
        r.putHeader("content-type", param(req, "type", "application/json"));
        for (String h : req.params().getAll("header")) {
            int colon = h.indexOf(':');
            r.headers().add(h.substring(0, colon), h.substring(colon + 1));
        }
        byte[] body = body(size);
        if (req.path().equals("/api/stream")) {
            r.setChunked(true);
            r.write(FIRST);
            release.thenRun(() -> vertx.runOnContext(v -> r.end(Buffer.buffer(body))));
            return;
        }
        if (req.params().contains("chunked")) {
            r.setChunked(true);
            int half = body.length / 2;
            r.write(Buffer.buffer(java.util.Arrays.copyOfRange(body, 0, half)));
            r.end(Buffer.buffer(java.util.Arrays.copyOfRange(body, half, body.length)));
            return;
        }
        r.end(Buffer.buffer(body));
    }

    private static String param(HttpServerRequest req, String name, String fallback) {
        String v = req.getParam(name);
        return v == null ? fallback : v;
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
