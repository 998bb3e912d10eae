package dev.skewgate.admin;

import dev.skewgate.http.Ports;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The admin listener (loopback by default). Its handlers run on worker threads because they use the store; a few
 * instances let blob uploads run side by side.
 */
public final class AdminServer {

    private static final int INSTANCES = 4;

    private final Vertx vertx;
    private final AdminApi api;
    private int port = -1;

    public AdminServer(Vertx vertx, AdminApi api) {
        this.vertx = vertx;
        this.api = api;
    }

    public Future<Integer> start(String host, int requestedPort) {
        Set<Integer> bound = ConcurrentHashMap.newKeySet();
        int chosen = Ports.resolve(host, requestedPort);
        return vertx.deployVerticle(() -> new AdminVerticle(api, host, chosen, bound),
                        new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(INSTANCES))
                .compose(id -> {
                    if (bound.size() != 1) {
                        return Future.failedFuture("admin instances bound different ports: " + bound);
                    }
                    port = bound.iterator().next();
                    return Future.succeededFuture(port);
                });
    }

    public int port() {
        return port;
    }

    /** One worker's HTTP server for the admin API. */
    static final class AdminVerticle extends VerticleBase {
        private final Set<Integer> bound;
        private final AdminApi api;
        private final String host;
        private final int port;

        AdminVerticle(AdminApi api, String host, int port, Set<Integer> bound) {
            this.api = api;
            this.host = host;
            this.port = port;
            this.bound = bound;
        }

        @Override
        public Future<?> start() {
            return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port).setHttp2ClearTextEnabled(false))
                    .requestHandler(api.router(vertx))
                    .listen()
                    .onSuccess(s -> bound.add(s.actualPort()));
        }
    }
}
