package dev.skewgate.demo;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;

/**
 * A tiny API in two incompatible versions, served by the jar itself for the demo: v1 answers
 * {@code {"message": ...}}, v2 answers {@code {"greeting": {"text": ...}}}. A v1 frontend talking to the v2 API shows
 * "undefined": the skew this gateway prevents.
 */
public final class DemoApi {

    private DemoApi() {
    }

    /** Starts version 1 or 2 on a free loopback port; the future gives the server (its actual port). */
    public static Future<HttpServer> start(Vertx vertx, int version) {
        return vertx.createHttpServer().requestHandler(req -> {
            switch (req.path()) {
                case "/api/health" -> req.response().end("ok");
                case "/api/greeting" -> {
                    JsonObject body = version == 1
                            ? new JsonObject().put("message", "Hello from API v1")
                            : new JsonObject().put("greeting", new JsonObject().put("text", "Hello from API v2"))
                                    .put("apiVersion", 2);
                    req.response().putHeader("content-type", "application/json").putHeader("cache-control", "no-store")
                            .end(body.encode());
                }
                default -> req.response().setStatusCode(404).end();
            }
        }).listen(0, "127.0.0.1");
    }
}
