package dev.skewgate.edge;

import dev.skewgate.push.BrowserSdk;
import dev.skewgate.push.NotifyWebhook;
import dev.skewgate.push.PushHub;
import dev.skewgate.push.SseEndpoint;
import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.http.Ports;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The data-plane listener: one HTTP server per event loop, all sharing the port, all reading the same snapshot. */
public final class EdgeServer {

    private final Vertx vertx;
    private final RoutingHolder routing;
    private final PushHub push;
    private final NotifyWebhook webhook;
    private final BrowserSdk sdk;
    private int port = -1;

    public EdgeServer(Vertx vertx, RoutingHolder routing, PushHub push, NotifyWebhook webhook, BrowserSdk sdk) {
        this.vertx = vertx;
        this.routing = routing;
        this.push = push;
        this.webhook = webhook;
        this.sdk = sdk;
    }

    /**
     * Starts {@code instances} servers sharing one port (port 0: a free one, see {@link Ports}).
     */
    public Future<Integer> start(String host, int requestedPort, int instances) {
        Set<Integer> bound = ConcurrentHashMap.newKeySet();
        int chosen = Ports.resolve(host, requestedPort);
        return vertx.deployVerticle(() -> new EdgeVerticle(this, host, chosen, bound),
                        new DeploymentOptions().setInstances(Math.max(1, instances)))
                .compose(id -> {
                    if (bound.size() != 1) {
                        return Future.failedFuture("edge instances bound different ports: " + bound);
                    }
                    port = bound.iterator().next();
                    return Future.succeededFuture(port);
                });
    }

    public int port() {
        return port;
    }

    /** One event loop's HTTP server. */
    static final class EdgeVerticle extends VerticleBase {
        private final Set<Integer> bound;
        private final EdgeServer edge;
        private final String host;
        private final int port;

        EdgeVerticle(EdgeServer edge, String host, int port, Set<Integer> bound) {
            this.edge = edge;
            this.host = host;
            this.port = port;
            this.bound = bound;
        }

        @Override
        public Future<?> start() {
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(host)
                    .setPort(port)
                    .setIdleTimeout(75)
                    .setIdleTimeoutUnit(TimeUnit.SECONDS)
                    .setMaxInitialLineLength(8192)
                    .setMaxHeaderSize(16 * 1024)
                    .setCompressionSupported(false)
                    .setTcpNoDelay(true);
            GatewayEndpoints endpoints = new GatewayEndpoints(new SseEndpoint(edge.push, context), edge.webhook, edge.sdk);
            HttpServer server = vertx.createHttpServer(options).requestHandler(new EdgeHandler(edge.routing, endpoints));
            return server.listen().onSuccess(s -> bound.add(s.actualPort()));
        }
    }
}
