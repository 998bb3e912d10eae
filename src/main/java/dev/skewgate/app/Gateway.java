package dev.skewgate.app;

import dev.skewgate.admin.AdminApi;
import dev.skewgate.admin.AdminServer;
import dev.skewgate.admin.AdminToken;
import dev.skewgate.config.ServeSettings;
import dev.skewgate.control.ControlPlane;
import dev.skewgate.edge.EdgeServer;
import dev.skewgate.push.BrowserSdk;
import dev.skewgate.push.NotifyWebhook;
import dev.skewgate.push.PushHub;
import dev.skewgate.routing.RoutingCompiler;
import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.store.FileBlobStore;
import dev.skewgate.store.Store;
import dev.skewgate.store.sqlite.SqliteStore;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: opens the data directory, wires store, control plane, routing and both listeners, and
 * stops them in reverse order. Holds no logic of its own. Stop is safe after a partial start.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

    private final ServeSettings settings;
    private Store store;
    private Vertx vertx;
    private ControlPlane control;
    private PushHub push;
    private int edgePort = -1;
    private int adminPort = -1;
    private long retentionTimer = -1;

    private Gateway(ServeSettings settings) {
        this.settings = settings;
    }

    /** Starts a gateway and returns once both listeners are bound. */
    public static Gateway start(ServeSettings settings) throws IOException {
        Gateway gateway = new Gateway(settings);
        try {
            gateway.startComponents();
            return gateway;
        } catch (IOException | RuntimeException e) {
            gateway.close();
            throw e;
        }
    }

    private void startComponents() throws IOException {
        Files.createDirectories(settings.dataDir());
        store = SqliteStore.open(settings.dataDir().resolve("skewgate.db"));
        FileBlobStore blobs = new FileBlobStore(settings.dataDir().resolve("blobs"));
        AdminToken token = AdminToken.loadOrCreate(settings.dataDir());
        RoutingHolder routing = new RoutingHolder();
        BrowserSdk sdk = BrowserSdk.load();
        RoutingCompiler compiler = new RoutingCompiler(store, blobs, settings.maxFileInMemory(), settings.memoryBudget(),
                sdk.versionedPath());
        control = new ControlPlane(store, blobs, routing, compiler, Clock.systemUTC());
        push = new PushHub();
        control.feed(push);
        control.start();

        vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        NotifyWebhook webhook = new NotifyWebhook(vertx,
                (site, version, message) -> control.notifyExternal(site, version, message).notified());
        EdgeServer edge = new EdgeServer(vertx, routing, push, webhook, sdk);
        AdminServer admin = new AdminServer(vertx, new AdminApi(control, token, () -> edgePort));
        edgePort = await(edge.start(settings.edgeHost(), settings.edgePort(), settings.edgeInstances()), "edge listener");
        adminPort = await(admin.start(settings.adminHost(), settings.adminPort()), "admin listener");
        long every = Math.max(1000, settings.retentionInterval().toMillis());
        retentionTimer = vertx.setPeriodic(every, id -> vertx.executeBlocking(() -> control.runRetention(), false)
                .onFailure(e -> LOG.warn("retention pass failed, will retry: {}", e.toString())));
        LOG.info("Skewgate is serving on http://{}:{} (admin API on http://{}:{}, data in {})",
                settings.edgeHost(), edgePort, settings.adminHost(), adminPort, settings.dataDir().toAbsolutePath().normalize());
    }

    private static int await(io.vertx.core.Future<Integer> future, String what) throws IOException {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException("could not start the " + what + ": " + cause.getMessage(), cause);
        }
    }

    public int edgePort() {
        return edgePort;
    }

    public int adminPort() {
        return adminPort;
    }

    public ControlPlane control() {
        return control;
    }

    @Override
    public void close() {
        if (vertx != null) {
            if (push != null) {
                push.closeAll(); // open tabs reconnect after their retry delay instead of waiting on a dead stream
            }
            if (retentionTimer >= 0) {
                vertx.cancelTimer(retentionTimer);
            }
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("the HTTP servers did not stop cleanly: {}", e.toString());
            }
            vertx = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
    }
}
