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
        json(request, status, code, message, message);
    }

    /**
     * The JSON form with a log line that says more than the client is told (an upstream address, a cause): public
     * bodies never name internal addresses.
     */
    public static void json(HttpServerRequest request, int status, String code, String message, String logMessage) {
        request.resume();
        send(request, status, "application/json",
                new io.vertx.core.json.JsonObject().put("error", code).put("message", message).encode() + "\n", logMessage);
    }

    /** A refused request (bad framing or head): the plain form, logged as one WARN line, since it may be an attack. */
    public static void clientError(HttpServerRequest request, int status, String message) {
        String id = newRequestId();
        logClientError(id, request.method().name(), request.uri(), request.getHeader("host"), status, message);
        write(request, id, status, "text/plain; charset=utf-8", message + "\n");
    }

    /** The log line of a refused request, for the places that answer without a Vert.x request (the framing decoder). */
    public static void logClientError(String id, String method, String uri, String host, int status, String message) {
        LOG.warn("request {} {} {} host={} -> {}: {}", id, method, printable(uri), printable(host), status, message);
    }

    public static String newRequestId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffffL);
    }

    /** What a client sent, fit for one log line: controls escaped, length bounded. */
    private static String printable(String s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), 200));
        for (int i = 0; i < s.length() && i < 200; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return s.length() > 200 ? b + "..." : b.toString();
    }

    public static void send(HttpServerRequest request, int status, String message) {
        send(request, status, "text/plain; charset=utf-8", message + "\n", message);
    }

    /** An error with a body of the given type (HTML pages, JSON); {@code logMessage} is what the log line says. */
    public static void send(HttpServerRequest request, int status, String contentType, String body, String logMessage) {
        String id = newRequestId();
        if (status >= 500) {
            LOG.warn("request {} {} {} host={} -> {}: {}", id, request.method(), request.path(), request.authority(),
                    status, logMessage);
        } else {
            LOG.debug("request {} {} {} host={} -> {}: {}", id, request.method(), request.path(), request.authority(),
                    status, logMessage);
        }
        write(request, id, status, contentType, body);
    }

    private static void write(HttpServerRequest request, String id, int status, String contentType, String body) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            return; // answered already (the framing decoder's 400) or the client is gone: nothing more to say
        }
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
