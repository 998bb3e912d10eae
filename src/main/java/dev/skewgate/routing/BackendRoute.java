package dev.skewgate.routing;

import java.net.URI;
import java.util.List;
import java.util.Locale;

/** A deployment's effective backend in the snapshot: its upstreams, parsed once, and its health path. */
public record BackendRoute(List<Upstream> upstreams, String healthPath) {

    /**
     * One upstream origin.
     *
     * @param address where to connect, built once per snapshot instead of per request
     */
    public record Upstream(String origin, String host, int port, boolean tls, io.vertx.core.net.SocketAddress address) {

        public static Upstream parse(String origin) {
            URI uri = URI.create(origin);
            boolean tls = "https".equals(uri.getScheme().toLowerCase(Locale.ROOT));
            int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
            String host = uri.getHost();
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return new Upstream(origin, host, port, tls, io.vertx.core.net.SocketAddress.inetSocketAddress(port, host));
        }
    }

    public static BackendRoute of(dev.skewgate.model.Backend backend) {
        return new BackendRoute(backend.upstreams().stream().map(Upstream::parse).toList(), backend.healthPath());
    }
}
