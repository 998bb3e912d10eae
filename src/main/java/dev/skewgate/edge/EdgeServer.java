package dev.skewgate.edge;

import dev.skewgate.accesslog.AccessLog;
import dev.skewgate.http.Ports;
import dev.skewgate.metrics.GatewayMetrics;
import dev.skewgate.http.Readiness;
import dev.skewgate.proxy.ProxyHandler;
import dev.skewgate.proxy.TrustedProxies;
import dev.skewgate.proxy.UpstreamHealth;
import dev.skewgate.proxy.WebSocketTunnels;
import dev.skewgate.push.BrowserSdk;
import dev.skewgate.push.NotifyWebhook;
import dev.skewgate.push.PushHub;
import dev.skewgate.push.PresenceEndpoint;
import dev.skewgate.push.SseEndpoint;
import dev.skewgate.routing.Routes;
import dev.skewgate.traffic.TrafficMeter;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import javax.net.ssl.X509KeyManager;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** The data-plane listener: one HTTP server per event loop, all sharing the port, all reading the same snapshot. */
public final class EdgeServer {

    /**
     * What every event loop's handler shares.
     *
     * @param checkSecret the token that marks the gateway's own synthetic check requests
     * @param readiness what {@code /_skewgate/readyz} answers
     */
    public record Services(Routes routing, PushHub push, NotifyWebhook webhook, BrowserSdk sdk,
                           TrafficMeter traffic, WebSocketTunnels tunnels, UpstreamHealth upstreams,
                           TrustedProxies trusted, Duration upstreamTimeout, String checkSecret, Readiness readiness,
                           AcmeChallenges challenges, GatewayMetrics metrics, AccessLog accessLog) {
    }

    /**
     * What one listener is: plain HTTP, the plain HTTP listener of an HTTPS gateway (redirects to {@code httpsPort},
     * serves ACME challenges), or TLS with the certificates of {@code keys}, HTTP/2 or HTTP/1.1 by ALPN.
     */
    public record Listener(Optional<X509KeyManager> keys, OptionalInt redirectTo, boolean tlsAlpn01) {
        public static final Listener PLAIN = new Listener(Optional.empty(), OptionalInt.empty(), false);

        public static Listener redirectingTo(int httpsPort) {
            return new Listener(Optional.empty(), OptionalInt.of(httpsPort), false);
        }

        /** Which TLS engine this listener runs, and why; empty for plain HTTP. */
        public Optional<String> engine() {
            return keys.map(k -> Tls.describeEngine(tlsAlpn01));
        }

        /** TLS; {@code tlsAlpn01} when it also answers the CA's TLS-ALPN-01 validations. */
        public static Listener tls(X509KeyManager keys, boolean tlsAlpn01) {
            return new Listener(Optional.of(keys), OptionalInt.empty(), tlsAlpn01);
        }
    }

    /** How often each edge event loop measures its own lag. */
    static final long LAG_TICK_MS = 100;

    private final Vertx vertx;
    private final Services services;
    private final ConnectionLimits limits;
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger loops = new java.util.concurrent.atomic.AtomicInteger();
    private int port = -1;

    public EdgeServer(Vertx vertx, Services services, ConnectionLimits limits) {
        this.vertx = vertx;
        this.services = services;
        this.limits = limits;
    }

    /** Starts {@code instances} plain HTTP servers sharing one port (port 0: a free one, see {@link Ports}). */
    public Future<Integer> start(String host, int requestedPort, int instances) {
        return start(host, requestedPort, instances, Listener.PLAIN).onSuccess(p -> port = p);
    }

    /** Starts {@code instances} servers of one kind sharing one port; the future gives the port bound. */
    public Future<Integer> start(String host, int requestedPort, int instances, Listener listener) {
        Set<Integer> bound = ConcurrentHashMap.newKeySet();
        int chosen = Ports.resolve(host, requestedPort);
        return vertx.deployVerticle(() -> new EdgeVerticle(this, host, chosen, bound, listener),
                        new DeploymentOptions().setInstances(Math.max(1, instances)))
                .compose(id -> {
                    if (bound.size() != 1) {
                        return Future.failedFuture("edge instances bound different ports: " + bound);
                    }
                    int actual = bound.iterator().next();
                    if (port < 0 && listener.keys().isEmpty()) {
                        port = actual;
                    }
                    return Future.succeededFuture(actual);
                });
    }

    public int port() {
        return port;
    }

    /**
     * Stops accepting connections and lets in-flight requests finish, for at most {@code grace}; the listening socket
     * is released at once, so a new gateway can bind the port while this one drains.
     */
    public Future<Void> shutdown(Duration grace) {
        List<Future<Void>> done = servers.stream().map(s -> s.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS)).toList();
        return Future.join(done).mapEmpty();
    }

    /** One event loop's HTTP server. */
    static final class EdgeVerticle extends VerticleBase {
        private final EdgeServer edge;
        private final String host;
        private final int port;
        private final Set<Integer> bound;
        private final Listener listener;
        private ProxyHandler proxy;

        EdgeVerticle(EdgeServer edge, String host, int port, Set<Integer> bound, Listener listener) {
            this.edge = edge;
            this.host = host;
            this.port = port;
            this.bound = bound;
            this.listener = listener;
        }

        @Override
        public Future<?> start() {
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(host)
                    .setPort(port)
                    .setIdleTimeout(75)
                    .setIdleTimeoutUnit(TimeUnit.SECONDS)
                    .setMaxInitialLineLength(StrictFraming.MAX_INITIAL_LINE)
                    .setMaxHeaderSize(StrictFraming.MAX_HEADERS)
                    .setCompressionSupported(false)
                    // No cleartext HTTP/2 (h2c): browsers never speak it, and on the plain port one HTTP/1 pipeline
                    // keeps the strict framing check below in one place. HTTP/2 is negotiated by ALPN over TLS.
                    .setHttp2ClearTextEnabled(false)
                    // WebSockets are tunnelled as raw bytes, never terminated here: no extension handler per connection.
                    .setPerMessageWebSocketCompressionSupported(false)
                    .setPerFrameWebSocketCompressionSupported(false)
                    .setTcpNoDelay(true);
            listener.keys().ifPresent(keys -> Tls.configure(options, keys, listener.tlsAlpn01()));
            Services s = edge.services;
            ConnectionLimits.Loop budget = edge.limits.new Loop(vertx);
            GatewayEndpoints endpoints = new GatewayEndpoints(new SseEndpoint(s.push(), s.routing(), context),
                    new StreamHandOver(budget), new PresenceEndpoint(s.push()), s.webhook(), s.sdk());
            proxy = new ProxyHandler(vertx, s.upstreams(), s.tunnels(), s.trusted(), s.upstreamTimeout());
            EdgeHandler handler = new EdgeHandler(s.routing(), endpoints, new HealthEndpoints(s.readiness()), proxy,
                    s.traffic(), s.checkSecret(), listener.redirectTo(), s.challenges(), s.metrics(), s.accessLog());
            measureLag(s.metrics().eventLoopLag(edge.loops.getAndIncrement()));
            HttpServer server = vertx.createHttpServer(options)
                    .connectionHandler(connection -> {
                        if (listener.keys().isPresent() && !Tls.track(connection)) {
                            connection.close();
                            return;
                        }
                        StrictFraming.install(connection);
                        budget.connected(connection);
                    })
                    .invalidRequestHandler(StrictFraming::refuse)
                    .requestHandler(request -> {
                        if (budget.admit(request)) {
                            handler.handle(request);
                        }
                    });
            edge.servers.add(server);
            return server.listen().onSuccess(srv -> bound.add(srv.actualPort()));
        }

        @Override
        public Future<?> stop() {
            if (proxy != null) {
                proxy.close();
            }
            return Future.succeededFuture();
        }

        /**
         * A timer on this loop that should fire every tick: how much later it fires is how long the loop was busy
         * or blocked (a stalled loop delays every request on its connections).
         */
        private void measureLag(io.micrometer.core.instrument.Timer lag) {
            long[] expected = {System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LAG_TICK_MS)};
            vertx.setPeriodic(LAG_TICK_MS, id -> {
                long now = System.nanoTime();
                lag.record(Math.max(0, now - expected[0]), TimeUnit.NANOSECONDS);
                expected[0] = now + TimeUnit.MILLISECONDS.toNanos(LAG_TICK_MS);
            });
        }
    }
}
