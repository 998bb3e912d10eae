package dev.skewgate.proxy;

import dev.skewgate.compress.Coding;
import dev.skewgate.compress.StreamingEncoder;
import dev.skewgate.http.Headers;
import dev.skewgate.policy.ContentTypes;
import dev.skewgate.staticfiles.AcceptEncoding;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import java.util.Locale;
import java.util.Optional;

/**
 * On-the-fly compression of a proxied response the backend left uncompressed, for sites that opt in (nginx's
 * {@code gzip_proxied any}, Caddy's {@code encode}). Decided on the response head: the same compressible types and
 * {@code Accept-Encoding} negotiation as the static files, never an event stream (it must reach the client event by
 * event), nothing the backend already encoded or marked {@code no-transform} (RFC 9111 §5.2.2.6), no 204, 206 or
 * 304, and not a body whose {@code Content-Length} says it is under 1 KiB.
 */
final class ProxiedCompression {

    static final long MIN_LENGTH = 1024;

    private ProxiedCompression() {
    }

    /**
     * Prepares the response head {@code out} (copied from the backend's) and returns the encoder of its body, or empty
     * when it goes as the backend sent it. A response that could be compressed for another client gets
     * {@code Vary: Accept-Encoding} either way, so a cache does not hand one client's coding to another.
     */
    static Optional<StreamingEncoder> start(HttpMethod method, String acceptEncoding, int status, MultiMap out) {
        if (!eligible(status, out)) {
            return Optional.empty();
        }
        varyOnEncoding(out);
        if (method == HttpMethod.HEAD) {
            return Optional.empty();
        }
        AcceptEncoding.Choice choice = AcceptEncoding.choose(acceptEncoding, Coding.brotliAvailable(), true);
        if (choice == AcceptEncoding.Choice.IDENTITY) {
            return Optional.empty();
        }
        StreamingEncoder encoder = new StreamingEncoder(choice == AcceptEncoding.Choice.BROTLI ? Coding.BROTLI : Coding.GZIP);
        out.remove(Headers.CONTENT_LENGTH); // chunked over HTTP/1.1, DATA frames until END_STREAM over HTTP/2
        out.remove(Headers.ACCEPT_RANGES); // a range of the coded bytes is not something the backend can serve
        out.set(Headers.CONTENT_ENCODING, encoder.token());
        String etag = out.get(Headers.ETAG);
        if (etag != null && !etag.startsWith("W/")) {
            // The coded bytes are not the backend's representation: only weakly the same (RFC 9110 §8.8.1, as nginx).
            out.set(Headers.ETAG, "W/" + etag);
        }
        return Optional.of(encoder);
    }

    private static boolean eligible(int status, MultiMap out) {
        if (status < 200 || status == 204 || status == 206 || status == 304) {
            return false;
        }
        if (out.contains(Headers.CONTENT_ENCODING)) {
            return false;
        }
        String type = out.get(Headers.CONTENT_TYPE);
        if (type == null || !ContentTypes.compressible(type)
                || type.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
            return false;
        }
        for (String cacheControl : out.getAll(Headers.CACHE_CONTROL)) {
            if (hasToken(cacheControl, "no-transform")) {
                return false;
            }
        }
        String length = out.get(Headers.CONTENT_LENGTH);
        if (length != null) {
            try {
                return Long.parseLong(length.trim()) >= MIN_LENGTH;
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return true;
    }

    /** Adds {@code Accept-Encoding} to the backend's {@code Vary}, as one field, unless it is there or is {@code *}. */
    private static void varyOnEncoding(MultiMap out) {
        java.util.List<String> vary = out.getAll(Headers.VARY);
        for (String v : vary) {
            if (hasToken(v, "accept-encoding") || hasToken(v, "*")) {
                return;
            }
        }
        if (vary.isEmpty()) {
            out.set(Headers.VARY, Headers.VARY_ENCODING);
        } else {
            out.set(Headers.VARY, String.join(", ", vary) + ", Accept-Encoding");
        }
    }

    /** Whether a comma-separated header value has this token (case-insensitive; directive arguments ignored). */
    private static boolean hasToken(String value, String token) {
        for (String part : value.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if ((eq < 0 ? p : p.substring(0, eq).trim()).equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }
}
