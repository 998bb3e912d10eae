package dev.skewgate.edge;

import dev.skewgate.routing.RoutingHolder;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The data-plane listener: one HTTP server per event loop, all sharing the port, all reading the same snapshot. */
public final class EdgeServer {

    private final Vertx vertx;
    private final RoutingHolder routing;
    private int port = -1;

    public EdgeServer(Vertx vertx, RoutingHolder routing) {
        this.vertx = vertx;
        this.routing = routing;
    }

    /** Binds (port 0 picks a free one), then starts the other instances on the port actually bound. */
    public Future<Integer> start(String host, int requestedPort, int instances) {
        AtomicInteger bound = new AtomicInteger();
        return vertx.deployVerticle(new EdgeVerticle(routing, host, requestedPort, bound))
                .compose(id -> {
                    port = bound.get();
                    if (instances <= 1) {
                        return Future.succeededFuture(port);
                    }
                    int actual = port;
                    return vertx.deployVerticle(() -> new EdgeVerticle(routing, host, actual, new AtomicInteger()),
                            new DeploymentOptions().setInstances(instances - 1)).map(x -> actual);
                });
    }

    public int port() {
        return port;
    }

    /** One event loop's HTTP server. */
    static final class EdgeVerticle extends VerticleBase {
        private final AtomicInteger bound;
        private final RoutingHolder routing;
        private final String host;
        private final int port;

        EdgeVerticle(RoutingHolder routing, String host, int port, AtomicInteger bound) {
            this.routing = routing;
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
            HttpServer server = vertx.createHttpServer(options).requestHandler(new EdgeHandler(routing));
            return server.listen().onSuccess(s -> bound.set(s.actualPort()));
        }
    }
}
