package dev.skewgate.metrics;

import dev.skewgate.http.Ports;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

/**
 * The optional listener of {@code serve --metrics-listen}: {@code GET /metrics} without a token (for a Prometheus
 * that should not hold the admin token), and nothing else. The scrape runs on a worker thread: it may measure the
 * blob store's folder.
 */
public final class MetricsServer {

    private final Vertx vertx;
    private final GatewayMetrics metrics;
    private HttpServer server;

    public MetricsServer(Vertx vertx, GatewayMetrics metrics) {
        this.vertx = vertx;
        this.metrics = metrics;
    }

    public Future<Integer> start(String host, int requestedPort) {
        server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(Ports.resolve(host, requestedPort))
                .setHttp2ClearTextEnabled(false)).requestHandler(this::handle);
        return server.listen().map(HttpServer::actualPort);
    }

    private void handle(HttpServerRequest request) {
        if (!request.path().equals("/metrics")) {
            answer(request, 404, "application/json", "{\"error\":\"NOT_FOUND\",\"message\":\"only GET /metrics is "
                    + "served on this listener\"}\n");
            return;
        }
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().putHeader("allow", "GET, HEAD");
            answer(request, 405, "application/json", "{\"error\":\"METHOD_NOT_ALLOWED\",\"message\":\"use GET "
                    + "/metrics\"}\n");
            return;
        }
        vertx.executeBlocking(metrics::scrape, false).onComplete(ar -> {
            if (ar.failed()) {
                answer(request, 500, "application/json", "{\"error\":\"METRICS_FAILED\",\"message\":\"the metrics "
                        + "could not be collected\"}\n");
            } else {
                answer(request, 200, GatewayMetrics.contentType(), ar.result());
            }
        });
    }

    private static void answer(HttpServerRequest request, int status, String type, String body) {
        request.response().setStatusCode(status).putHeader("content-type", type)
                .putHeader("cache-control", "no-store").end(body);
    }
}
