package dev.skewgate.edge;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.http.Headers;
import dev.skewgate.http.HttpDate;
import dev.skewgate.http.Readiness;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The load balancer's pair on the edge: {@code /_skewgate/healthz} (the process answers) and
 * {@code /_skewgate/readyz} (send it traffic). Answered for any Host, known or not, without a token and without
 * details: why the gateway is not ready is the admin API's to say ({@code GET /v1/health/ready}).
 */
final class HealthEndpoints {

    static final String LIVE = "/_skewgate/healthz";
    static final String READY = "/_skewgate/readyz";

    private static final Logger LOG = LoggerFactory.getLogger(HealthEndpoints.class);
    private static final String OK = "ok\n";
    private static final String NOT_READY = "not ready\n";

    private final Readiness readiness;

    HealthEndpoints(Readiness readiness) {
        this.readiness = readiness;
    }

    static boolean handles(String path) {
        return path.equals(LIVE) || path.equals(READY);
    }

    void handle(HttpServerRequest request, String path) {
        request.resume(); // a body, if any, is drained and ignored
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().putHeader(Headers.ALLOW, "GET, HEAD");
            DataPlaneErrors.send(request, 405, path + " answers GET and HEAD only");
            return;
        }
        if (path.equals(LIVE)) {
            answer(request, 200, OK);
            return;
        }
        readiness.check().onComplete(done -> {
            Optional<String> why = done.succeeded() ? done.result()
                    : Optional.of("the readiness check failed: " + done.cause());
            if (why.isEmpty()) {
                answer(request, 200, OK);
            } else {
                LOG.debug("{} -> 503: {}", READY, why.get());
                answer(request, 503, NOT_READY);
            }
        });
    }

    private static void answer(HttpServerRequest request, int status, String body) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return; // the prober gave up before the store answered
        }
        response.setStatusCode(status)
                .putHeader(Headers.CONTENT_TYPE, "text/plain; charset=utf-8")
                .putHeader(Headers.CACHE_CONTROL, Headers.NO_STORE)
                .putHeader(Headers.NOSNIFF_NAME, Headers.NOSNIFF)
                .putHeader(Headers.DATE, HttpDate.now());
        if (request.method() == HttpMethod.HEAD) {
            response.putHeader(Headers.CONTENT_LENGTH, Integer.toString(body.length()));
            response.end();
        } else {
            response.end(Buffer.buffer(body));
        }
    }
}
