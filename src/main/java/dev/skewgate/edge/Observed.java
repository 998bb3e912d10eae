package dev.skewgate.edge;

import dev.skewgate.accesslog.AccessEntry;
import dev.skewgate.accesslog.AccessLog;
import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.http.Headers;
import dev.skewgate.metrics.GatewayMetrics;
import dev.skewgate.routing.Pin;
import dev.skewgate.traffic.TrafficMeter;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * One request's accounting, filled in as the edge routes it and closed by the response's end handler (which Vert.x
 * also calls when the connection closes first): the status class on the deployment's counter, the upstream latency,
 * and the access-log line. One small object per request; nothing is formatted on the event loop.
 */
final class Observed implements Handler<Void>, LongConsumer {

    /** What the access log says for a response the client did not wait for (nginx's convention). */
    static final int CLIENT_CLOSED = 499;

    private final HttpServerRequest request;
    private final GatewayMetrics metrics;
    private final AccessLog log;
    private final long start = System.nanoTime();
    private final String requestId;
    String site;
    String deployment;
    Pin.Source pin = Pin.Source.NONE;
    TrafficMeter.Counter counter;
    private long upstreamNanos = -1;
    private boolean done;

    private Observed(HttpServerRequest request, GatewayMetrics metrics, AccessLog log) {
        this.request = request;
        this.metrics = metrics;
        this.log = log;
        if (log.enabled()) {
            // Every logged response carries its id, so a user's report finds its line; an error page already has one.
            requestId = DataPlaneErrors.newRequestId();
            HttpServerResponse response = request.response();
            response.headersEndHandler(v -> {
                if (!response.headers().contains(Headers.REQUEST_ID)) {
                    response.headers().set(Headers.REQUEST_ID, requestId);
                }
            });
        } else {
            requestId = null;
        }
    }

    /** Starts the accounting of a request (its end handler is registered now). */
    static Observed start(HttpServerRequest request, GatewayMetrics metrics, AccessLog log) {
        Observed o = new Observed(request, metrics, log);
        request.response().endHandler(o);
        return o;
    }

    /** The deployment's backend sent the response head this long after the request was sent. */
    @Override
    public void accept(long nanos) {
        upstreamNanos = nanos;
        metrics.upstream(site, deployment, nanos);
    }

    @Override
    public void handle(Void ended) {
        finish(request.response().ended() ? request.response().getStatusCode() : CLIENT_CLOSED);
    }

    /**
     * The response became an event stream's bare channel ({@link StreamHandOver}): Vert.x will not see it end, so it
     * is accounted now, as answered with its status, its opening's bytes and the time to open it.
     */
    void handedOver() {
        finish(request.response().getStatusCode());
    }

    private void finish(int status) {
        if (done) {
            return;
        }
        done = true;
        HttpServerResponse response = request.response();
        if (counter != null) {
            counter.answered(status);
        }
        if (!log.enabled()) {
            return;
        }
        String id = response.headers().get(Headers.REQUEST_ID);
        log.offer(new AccessEntry(System.currentTimeMillis(),
                request.remoteAddress() == null ? null : request.remoteAddress().hostAddress(),
                site, request.authority() == null ? null : request.authority().host(), request.method().name(),
                request.uri(), protocol(request), status, response.bytesWritten(), System.nanoTime() - start,
                deployment, pin.name().toLowerCase(Locale.ROOT), upstreamNanos, id == null ? requestId : id,
                request.getHeader(dev.skewgate.http.Headers.REFERER), request.getHeader(dev.skewgate.http.Headers.USER_AGENT)));
    }

    private static String protocol(HttpServerRequest request) {
        return switch (request.version()) {
            case HTTP_1_0 -> "HTTP/1.0";
            case HTTP_1_1 -> "HTTP/1.1";
            case HTTP_2 -> "HTTP/2.0";
        };
    }
}
