package dev.skewgate.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.Set;

/**
 * {@code X-Forwarded-For/-Proto/-Host} and RFC 7239 {@code Forwarded}, set from the socket. What a client sent in
 * these headers is kept (and appended to) only when the client is a configured trusted proxy; otherwise it is
 * replaced, so a client cannot claim another address.
 */
final class ForwardedHeaders {

    static final Set<String> NAMES = Set.of("x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded");

    private ForwardedHeaders() {
    }

    static void set(HttpServerRequest request, MultiMap out, TrustedProxies trusted) {
        SocketAddress remote = request.remoteAddress();
        String client = remote == null ? "unknown" : remote.hostAddress();
        boolean trust = remote != null && trusted.contains(client);
        String host = request.getHeader("host");
        String proto = request.isSSL() ? "https" : "http";
        String priorFor = trust ? request.getHeader("x-forwarded-for") : null;
        String priorProto = trust ? request.getHeader("x-forwarded-proto") : null;
        String priorHost = trust ? request.getHeader("x-forwarded-host") : null;
        String priorForwarded = trust ? joined(request.headers().getAll("forwarded")) : null;
        out.set("x-forwarded-for", priorFor == null ? client : priorFor + ", " + client);
        out.set("x-forwarded-proto", priorProto == null ? proto : priorProto);
        if (host != null) {
            out.set("x-forwarded-host", priorHost == null ? host : priorHost);
        }
        String element = "for=" + node(client) + ";proto=" + proto + (host == null ? "" : ";host=\"" + host.replace("\"", "") + "\"");
        out.set("forwarded", priorForwarded == null ? element : priorForwarded + ", " + element);
    }

    /** An IPv6 address is quoted and bracketed (RFC 7239 §6). */
    private static String node(String address) {
        return address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
    }

    private static String joined(List<String> values) {
        return values.isEmpty() ? null : String.join(", ", values);
    }
}
