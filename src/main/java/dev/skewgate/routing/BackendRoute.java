package dev.skewgate.routing;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A deployment's effective backend in the snapshot: its health path, and either fixed upstreams (parsed once) or the
 * pool of instances the gateway runs for it ({@link InstancePool}), whose addresses change while the snapshot does not.
 */
public record BackendRoute(List<Upstream> upstreams, String healthPath, Optional<InstancePool> pool) {

    /** One upstream origin.
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

        /** A managed instance on this machine's loopback. */
        public static Upstream loopback(int port) {
            return parse("http://127.0.0.1:" + port);
        }
    }

    public static BackendRoute of(dev.skewgate.model.Backend backend) {
        return new BackendRoute(backend.upstreams().stream().map(Upstream::parse).toList(), backend.healthPath(),
                Optional.empty());
    }

    public static BackendRoute managed(String healthPath, InstancePool pool) {
        return new BackendRoute(List.of(), healthPath, Optional.of(pool));
    }

    /** The upstreams to use for a request now. */
    public List<Upstream> current() {
        return pool.isPresent() ? pool.get().ready() : upstreams;
    }
}
