package dev.skewgate.http;

import io.vertx.core.http.HttpHeaders;

/**
 * Header names as pre-encoded constants, so the data plane does not re-encode them per response. Lowercase, because
 * HTTP/2 (h2c from a load balancer) requires it and HTTP/1.1 does not care.
 */
public final class Headers {

    public static final CharSequence CACHE_CONTROL = HttpHeaders.CACHE_CONTROL;
    public static final CharSequence CONTENT_TYPE = HttpHeaders.CONTENT_TYPE;
    public static final CharSequence CONTENT_LENGTH = HttpHeaders.CONTENT_LENGTH;
    public static final CharSequence CONTENT_ENCODING = HttpHeaders.CONTENT_ENCODING;
    public static final CharSequence CONTENT_RANGE = HttpHeaders.createOptimized("content-range");
    public static final CharSequence ACCEPT_RANGES = HttpHeaders.ACCEPT_RANGES;
    public static final CharSequence ETAG = HttpHeaders.ETAG;
    public static final CharSequence LAST_MODIFIED = HttpHeaders.LAST_MODIFIED;
    public static final CharSequence DATE = HttpHeaders.DATE;
    public static final CharSequence VARY = HttpHeaders.VARY;
    public static final CharSequence SET_COOKIE = HttpHeaders.SET_COOKIE;
    public static final CharSequence ALLOW = HttpHeaders.ALLOW;
    public static final CharSequence NOSNIFF_NAME = HttpHeaders.createOptimized("x-content-type-options");
    public static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
    /** The deployment a response came from, and the same name as a request's pin (routing.Pin.HEADER). */
    public static final CharSequence DEPLOYMENT = HttpHeaders.createOptimized("x-skewgate-deployment");
    public static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("x-request-id");
    public static final CharSequence ACCEPT_ENCODING = HttpHeaders.createOptimized("accept-encoding");
    /** The value of {@code Vary} when precompressed variants exist. */
    public static final CharSequence VARY_ENCODING = HttpHeaders.createOptimized("Accept-Encoding");
    public static final CharSequence BYTES = HttpHeaders.createOptimized("bytes");
    public static final CharSequence NO_STORE = HttpHeaders.createOptimized("no-store");
    public static final CharSequence STRICT_TRANSPORT_SECURITY = HttpHeaders.createOptimized("strict-transport-security");

    /**
     * Request header names the data plane reads on every request, as constants whose hash is computed once (a
     * {@code String} name is hashed again on every lookup: 2 % of a static request's CPU in a profile).
     */
    public static final CharSequence RANGE = HttpHeaders.createOptimized("range");
    public static final CharSequence IF_NONE_MATCH = HttpHeaders.IF_NONE_MATCH;
    public static final CharSequence IF_MODIFIED_SINCE = HttpHeaders.IF_MODIFIED_SINCE;
    public static final CharSequence IF_RANGE = HttpHeaders.createOptimized("if-range");
    public static final CharSequence COOKIE = HttpHeaders.COOKIE;
    public static final CharSequence ACCEPT = HttpHeaders.ACCEPT;
    public static final CharSequence SEC_FETCH_MODE = HttpHeaders.createOptimized("sec-fetch-mode");
    public static final CharSequence SEC_FETCH_DEST = HttpHeaders.createOptimized("sec-fetch-dest");
    public static final CharSequence SERVICE_WORKER = HttpHeaders.createOptimized("service-worker");
    public static final CharSequence TRANSFER_ENCODING = HttpHeaders.TRANSFER_ENCODING;
    public static final CharSequence UPGRADE = HttpHeaders.UPGRADE;
    public static final CharSequence REFERER = HttpHeaders.REFERER;
    public static final CharSequence USER_AGENT = HttpHeaders.USER_AGENT;

    private Headers() {
    }
}
