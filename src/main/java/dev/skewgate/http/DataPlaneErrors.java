package dev.skewgate.http;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane's one error shape: a status, {@code Cache-Control: no-store}, a short plain-text message that says
 * what went wrong, and a request id that also appears in the log line.
 */
public final class DataPlaneErrors {

    private static final Logger LOG = LoggerFactory.getLogger(DataPlaneErrors.class);

    private DataPlaneErrors() {
    }

    /**
     * The JSON form, {@code {"error":"CODE","message":"..."}}, for clients that are programs (API calls, the event
     * stream, the webhook). A paused request is resumed so its body is drained.
     */
    public static void json(HttpServerRequest request, int status, String code, String message) {
        request.resume();
        send(request, status, "application/json",
                new io.vertx.core.json.JsonObject().put("error", code).put("message", message).encode() + "\n", message);
    }

    public static void send(HttpServerRequest request, int status, String message) {
        send(request, status, "text/plain; charset=utf-8", message + "\n", message);
    }

    /** An error with a body of the given type (HTML pages, JSON); {@code logMessage} is what the log line says. */
    public static void send(HttpServerRequest request, int status, String contentType, String body, String logMessage) {
        String id = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffffL);
        if (status >= 500) {
            LOG.warn("request {} {} {} host={} -> {}: {}", id, request.method(), request.path(), request.authority(),
                    status, logMessage);
        } else {
            LOG.debug("request {} {} {} host={} -> {}: {}", id, request.method(), request.path(), request.authority(),
                    status, logMessage);
        }
        HttpServerResponse response = request.response();
        if (response.headWritten()) {
            request.connection().close();
            return;
        }
        response.setStatusCode(status)
                .putHeader(Headers.CONTENT_TYPE, contentType)
                .putHeader(Headers.CACHE_CONTROL, Headers.NO_STORE)
                .putHeader(Headers.NOSNIFF_NAME, Headers.NOSNIFF)
                .putHeader(Headers.REQUEST_ID, id)
                .putHeader(Headers.DATE, HttpDate.now());
        response.end(body);
    }
}
