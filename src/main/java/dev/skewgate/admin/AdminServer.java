package dev.skewgate.admin;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.atomic.AtomicInteger;

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
        AtomicInteger bound = new AtomicInteger();
        DeploymentOptions worker = new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER);
        return vertx.deployVerticle(new AdminVerticle(api, host, requestedPort, bound), worker)
                .compose(id -> {
                    port = bound.get();
                    int actual = port;
                    return vertx.deployVerticle(() -> new AdminVerticle(api, host, actual, new AtomicInteger()),
                            new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER).setInstances(INSTANCES - 1))
                            .map(x -> actual);
                });
    }

    public int port() {
        return port;
    }

    /** One worker's HTTP server for the admin API. */
    static final class AdminVerticle extends VerticleBase {
        private final AtomicInteger bound;
        private final AdminApi api;
        private final String host;
        private final int port;

        AdminVerticle(AdminApi api, String host, int port, AtomicInteger bound) {
            this.api = api;
            this.host = host;
            this.port = port;
            this.bound = bound;
        }

        @Override
        public Future<?> start() {
            return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
                    .requestHandler(api.router(vertx))
                    .listen()
                    .onSuccess(s -> bound.set(s.actualPort()));
        }
    }
}
