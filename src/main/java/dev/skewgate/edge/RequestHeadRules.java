package dev.skewgate.edge;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The rules every request head passes before anything routes it: how its body is framed (RFC 9112 §6), which host it
 * is for (§3.2) and what its target is (§3.2, RFC 3986 §5.2.4). Netty's decoder is lenient on each of these — it takes
 * {@code chunked} anywhere in a coding list, frames an unknown coding as "no body", keeps the first of two Host headers
 * and passes dot segments through — and a gateway that is lenient where the server behind it is strict (or the other way
 * round) lets a body become a request. So every doubt here is a refusal, and the connection is closed after it.
 */
final class RequestHeadRules {

    private RequestHeadRules() {
    }

    /**
     * Checks {@code head} and brings an absolute-form target to origin-form (the target's authority becomes the Host,
     * §3.2.2), so that everything after this sees one shape of request.
     */
    static Optional<FramingException> check(HttpRequest head) {
        try {
            framing(head);
            host(head.headers()); // §3.2 holds for every form of target, so before the absolute form replaces Host
            target(head);
            return Optional.empty();
        } catch (FramingException e) {
            return Optional.of(e);
        }
    }

    /** Whether the body, if any, is chunked; only called on heads that passed {@link #check}. */
    static boolean chunked(HttpRequest head) {
        return head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING);
    }

    private static void framing(HttpRequest head) {
        HttpHeaders headers = head.headers();
        if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return; // framed by Content-Length, which Netty already validates (one decimal value, no sign)
        }
        List<String> fields = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (head.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            throw bad("an HTTP/1.0 request cannot have Transfer-Encoding"); // §6.1: the framing is faulty
        }
        if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            throw bad("the request has both Content-Length and Transfer-Encoding: ambiguous framing"); // §6.1
        }
        List<String> codings = new ArrayList<>();
        for (String field : fields) {
            for (String element : field.split(",", -1)) {
                String coding = element.trim().toLowerCase(Locale.ROOT);
                if (!coding.isEmpty()) {
                    codings.add(coding);
                }
            }
        }
        if (codings.isEmpty()) {
            throw bad("the request has an empty Transfer-Encoding");
        }
        // §6.3: a request whose final coding is not chunked has no reliable length: 400 and close.
        if (!codings.get(codings.size() - 1).equals("chunked")) {
            throw bad("the request's final transfer coding is not chunked");
        }
        List<String> before = codings.subList(0, codings.size() - 1);
        if (before.contains("chunked")) {
            throw bad("the request body is chunked more than once"); // §7.1
        }
        if (!before.isEmpty()) {
            // §6.1: a coding the gateway does not decode. It cannot be passed on either: Transfer-Encoding is hop by
            // hop, and the gateway frames the body anew for the backend.
            throw new FramingException(501, "transfer coding '" + before.get(0) + "' is not supported; send the body"
                    + " chunked only");
        }
    }

    private static void target(HttpRequest head) {
        String uri = head.uri();
        if (uri.indexOf('#') >= 0) {
            throw bad("the request target has a fragment");
        }
        if (uri.startsWith("/")) {
            if (hasDotSegment(uri)) {
                throw bad("the request path has a dot segment (. or ..)");
            }
            return;
        }
        if (uri.equals("*") && head.method().equals(HttpMethod.OPTIONS)) {
            return;
        }
        String lower = uri.toLowerCase(Locale.ROOT);
        int schemeEnd = lower.startsWith("http://") ? 7 : lower.startsWith("https://") ? 8 : -1;
        if (schemeEnd < 0) {
            throw bad("the request target is neither a path nor an absolute http URI");
        }
        // §3.2.2: the absolute form's authority wins over any Host header; the backend gets origin-form.
        int pathStart = firstOf(uri, schemeEnd, "/?");
        String authority = uri.substring(schemeEnd, pathStart);
        String rest = uri.substring(pathStart);
        if (authority.isEmpty()) {
            throw bad("the absolute request target has no host");
        }
        if (authority.indexOf('@') >= 0) {
            throw bad("the request target has user information"); // RFC 9110 §4.2.4: treat as an error
        }
        String origin = rest.isEmpty() || rest.charAt(0) == '?' ? "/" + rest : rest;
        if (hasDotSegment(origin)) {
            throw bad("the request path has a dot segment (. or ..)");
        }
        head.setUri(origin);
        head.headers().set(HttpHeaderNames.HOST, authority);
    }

    private static void host(HttpHeaders headers) {
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.isEmpty()) {
            throw bad("the request has no Host header");
        }
        if (hosts.size() > 1) {
            throw bad("the request has more than one Host header"); // §3.2
        }
        String host = hosts.get(0).trim();
        if (host.isEmpty() || HostAndPort.parseAuthority(host, -1) == null) {
            throw bad("the request's Host header is empty or invalid");
        }
    }

    /**
     * Whether the path (before any query) has a segment that some server behind the gateway may read as {@code .} or
     * {@code ..}: literally, percent-encoded ({@code %2e%2e}), or next to an encoded separator ({@code ..%2f}, {@code
     * ..%5c}). Refusing is simpler and safer than normalizing: a backend that decodes differently cannot then be
     * steered outside the prefix the request was routed by.
     */
    static boolean hasDotSegment(String target) {
        int end = firstOf(target, 0, "?");
        int dots = 0; // the current segment, decoded: how many dots, and whether anything else
        boolean other = false;
        for (int i = 0; i <= end; i++) {
            int c = i < end ? target.charAt(i) : '/';
            if (c == '%' && i + 2 < end) {
                int decoded = Character.digit(target.charAt(i + 1), 16) << 4 | Character.digit(target.charAt(i + 2), 16);
                if (decoded >= 0) {
                    c = decoded;
                    i += 2;
                }
            }
            if (c == '/' || c == '\\') {
                if (!other && (dots == 1 || dots == 2)) {
                    return true;
                }
                dots = 0;
                other = false;
            } else if (c == '.') {
                dots++;
            } else {
                other = true;
            }
        }
        return false;
    }

    private static int firstOf(String s, int from, String chars) {
        for (int i = from; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) >= 0) {
                return i;
            }
        }
        return s.length();
    }

    private static FramingException bad(String message) {
        return new FramingException(400, message);
    }
}
