package dev.skewgate.app;

import dev.skewgate.accesslog.AccessLog;
import dev.skewgate.admin.AdminApi;
import dev.skewgate.admin.AdminServer;
import dev.skewgate.admin.AdminToken;
import dev.skewgate.backends.Supervisor;
import dev.skewgate.checks.Prober;
import dev.skewgate.config.ServeSettings;
import dev.skewgate.control.ControlEvents;
import dev.skewgate.control.ClusterView;
import dev.skewgate.control.ControlPlane;
import dev.skewgate.control.NodeHeartbeat;
import dev.skewgate.metrics.GatewayMetrics;
import dev.skewgate.metrics.MetricsServer;
import dev.skewgate.model.CheckResult;
import dev.skewgate.control.Running;
import dev.skewgate.edge.ConnectionLimits;
import dev.skewgate.certs.AcmeIssuer;
import dev.skewgate.certs.CertificateManager;
import dev.skewgate.edge.AcmeChallenges;
import dev.skewgate.edge.EdgeServer;
import dev.skewgate.tls.SniKeyManager;
import dev.skewgate.model.Durations;
import dev.skewgate.proxy.TrustedProxies;
import dev.skewgate.proxy.UpstreamHealth;
import dev.skewgate.proxy.WebSocketTunnels;
import dev.skewgate.push.BrowserSdk;
import dev.skewgate.push.NotifyWebhook;
import dev.skewgate.push.ChangeNotice;
import dev.skewgate.push.PushHub;
import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.snapshot.SnapshotCompiler;
import dev.skewgate.compress.Compressor;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.FileBlobStore;
import dev.skewgate.store.postgres.PostgresBlobStore;
import dev.skewgate.store.postgres.LastKnownGood;
import dev.skewgate.store.postgres.PostgresStore;
import dev.skewgate.store.postgres.StandbyStore;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.store.FilePermissions;
import dev.skewgate.store.Leadership;
import dev.skewgate.store.Nodes;
import dev.skewgate.store.Store;
import dev.skewgate.store.sqlite.SqliteStore;
import dev.skewgate.traffic.TrafficMeter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: opens the data directory, wires store, control plane, routing, push, proxy, checks and both
 * listeners, and stops them in reverse order. Holds no logic of its own. Stop is safe after a partial start.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private static final long CHECK_TICK_MS = 5_000;
    /** How often certificate files are looked at for changes. */
    private static final java.time.Duration CERTIFICATE_POLL = java.time.Duration.ofSeconds(2);

    private final ServeSettings settings;
    private Store store;
    /** The PostgreSQL store, when the store is PostgreSQL ({@link #store} is it, or its standby). */
    private PostgresStore database;
    /** Set when this node started while the database was unreachable: it serves its last-known-good copy. */
    private StandbyStore standby;
    /** Saves the last-known-good copy after each swap, on PostgreSQL. */
    private LastKnownGood.Saver lastKnownGood;
    private ClusterView cluster;
    private Nodes nodes;
    private NodeHeartbeat heartbeat;
    private Leadership leadership;
    /** The PostgreSQL blob store and its local cache, when the store is PostgreSQL. */
    private PostgresBlobStore pgBlobs;
    /** The notices of other nodes' changes, when the store is PostgreSQL. */
    private volatile dev.skewgate.store.postgres.ChangeFeed changes;
    private Vertx vertx;
    private ControlPlane control;
    private PushHub push;
    private EdgeServer edge;
    private TrafficMeter traffic;
    private WebSocketTunnels tunnels;
    private GatewayReadiness readiness;
    private Supervisor backends;
    private volatile CertificateManager certificates;
    private GatewayMetrics metrics;
    private AccessLog accessLog;
    private int metricsPort = -1;
    private Compressor compressor;
    private RoutingHolder routing;
    private int edgePort = -1;
    private int httpsPort = -1;
    private int adminPort = -1;
    private boolean closed;

    /** Called with each site before the background compile of its pending deployments (tests hold it there). */
    private final java.util.function.Consumer<String> beforePendingCompile;
    private final Clock clock;

    private Gateway(ServeSettings settings, java.util.function.Consumer<String> beforePendingCompile, Clock clock) {
        this.settings = settings;
        this.beforePendingCompile = beforePendingCompile;
        this.clock = clock;
    }

    /**
     * Starts a gateway and returns once both listeners are bound: every site's active deployment is compiled by
     * then, its other servable deployments follow in the background.
     */
    public static Gateway start(ServeSettings settings) throws IOException {
        return start(settings, site -> { });
    }

    /**
     * The same, calling {@code beforePendingCompile} with each site on the background compile's thread before it
     * compiles the site's pending deployments: a test holds it there to send requests that must wait for them.
     */
    public static Gateway start(ServeSettings settings, java.util.function.Consumer<String> beforePendingCompile)
            throws IOException {
        return start(settings, beforePendingCompile, Clock.systemUTC());
    }

    /**
     * The same by {@code clock} (a test runs nodes whose clocks are skewed): what the gateway records and decides by
     * wall-clock time reads it; what orders changes across nodes never does (the store numbers them).
     */
    public static Gateway start(ServeSettings settings, java.util.function.Consumer<String> beforePendingCompile,
                                Clock clock) throws IOException {
        Gateway gateway = new Gateway(settings, beforePendingCompile, clock);
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
        // Owner-only: the database holds webhook secrets and the folder the admin token and the key file.
        FilePermissions.restrict(settings.dataDir(), FilePermissions.DIR);
        BlobStore blobs;
        java.util.function.LongSupplier blobBytes;
        if (settings.store().url().isPresent()) {
            PostgresStore shared = openPostgres(settings.store().url().get());
            database = shared;
            PostgresBlobStore cached = shared.blobs(new FileBlobStore(settings.dataDir().resolve("blob-cache")),
                    settings.store().blobCacheBytes());
            pgBlobs = cached;
            blobs = cached;
            blobBytes = () -> blobBytes(cached::cachedBytes);
        } else {
            store = SqliteStore.open(settings.dataDir().resolve("skewgate.db"));
            FileBlobStore local = new FileBlobStore(settings.dataDir().resolve("blobs"));
            blobs = local;
            blobBytes = () -> blobBytes(local::totalBytes);
        }
        // Standing by, the token is the file's: every start on the database before rewrote it to the shared one.
        AdminToken token = database != null && standby == null
                ? AdminToken.shared(settings.dataDir(), database::sharedAdminToken)
                : AdminToken.loadOrCreate(settings.dataDir());
        routing = new RoutingHolder();
        RoutingHolder routing = this.routing;
        BrowserSdk sdk = BrowserSdk.load();
        push = new PushHub(settings.store().url().isPresent()); // other nodes number events too (also while standing by)
        traffic = new TrafficMeter();
        tunnels = new WebSocketTunnels();
        accessLog = AccessLog.open(settings.observability().accessLog(), settings.observability().accessLogFile());
        AccessLog log = accessLog;
        metrics = new GatewayMetrics(new GatewayMetrics.Sources(routing, traffic, push::openClients, tunnels::open,
                blobBytes, log::dropped, this::certificateExpiry));
        backends = new Supervisor(store, blobs, settings.dataDir(), running());
        // One compression thread: variants are computed once, so an upload of 2,000 files takes one core for a
        // while and never an event loop.
        compressor = new Compressor(blobs, 1);
        compressor.start();
        SnapshotCompiler compiler = new SnapshotCompiler(store, blobs, settings.maxFileInMemory(),
                settings.memoryBudget(), sdk.versionedPath(), backends, java.util.Optional.of(compressor));
        if (pgBlobs != null) {
            pgBlobs.protect(compiler::blobsInUse);
        }
        vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        String checkSecret = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        Prober prober = new Prober(vertx, () -> edgePort, () -> httpsPort, settings.edgeHost(), checkSecret, clock);
        String nodeId = NodeId.loadOrCreate(settings.dataDir());
        Running local = running();
        nodes = database != null ? database.nodes() : Nodes.solo();
        cluster = new ClusterView(local, nodeId, nodes);
        leadership = database != null ? database.leadership() : Leadership.ALONE;
        control = new ControlPlane(store, blobs, routing, compiler, clock,
                new ControlPlane.Ports(announcer(), prober, cluster, backends, controlEvents()));
        control.start();
        ControlPlane plane = control;
        if (database != null) {
            changes = database.changes();
            // Standing by, the feed's (re)connect loop is the retry: once it listens the database is reached, and
            // everything is re-read from it as after any lost connection.
            StandbyStore standing = standby;
            changes.start(plane::changedElsewhere, standing == null ? plane::rereadAll : () -> {
                standing.connect();
                plane.rereadAll();
            });
        }
        backends.rollbackWith((site, why) -> {
            LOG.warn("site {}: rolling back: {}", site, why);
            plane.lifecycle().rollback(site, java.util.Optional.empty(), "skewgate (crash loop)");
        });
        backends.start();

        NotifyWebhook webhook = new NotifyWebhook(vertx,
                (site, version, message, delivery, expires) -> control.config().notifyExternalOnce(site, version,
                        message, delivery, Instant.ofEpochSecond(expires))
                        .map(e -> java.util.OptionalInt.of(e.notified())).orElse(java.util.OptionalInt.empty()));
        TrustedProxies trusted = TrustedProxies.parse(settings.trustedProxies());
        // On PostgreSQL readiness does not ask the database: every node loses it at once, and a node serving its
        // snapshot must keep its traffic (the edge never reads the store; admin writes answer 503 meanwhile).
        Runnable storePing = database != null ? () -> { } : store::ping;
        readiness = new GatewayReadiness(vertx, storePing, routing::unready, GatewayReadiness.STORE_TIMEOUT);
        SniKeyManager keys = new SniKeyManager();
        Optional<AcmeIssuer> acme = settings.httpsPort().isPresent() && settings.acme().enabled()
                ? Optional.of(new AcmeIssuer(settings.dataDir(), new AcmeIssuer.Settings(settings.acme().directory(),
                        settings.acme().email(), settings.acme().caTrust().map(Gateway::trusting),
                        settings.acme().challenge()), keys))
                : Optional.empty();
        ControlPlane sitesOf = control;
        certificates = new CertificateManager(settings.dataDir(), keys, Clock.systemUTC(), CERTIFICATE_POLL, acme,
                () -> sitesOf.sites().list().stream().flatMap(site -> site.hosts().stream()).toList());
        certificates.start();
        edge = new EdgeServer(vertx, new EdgeServer.Services(routing, push, webhook, sdk, traffic, tunnels,
                new UpstreamHealth(), trusted, settings.upstreamTimeout(), checkSecret, readiness,
                acme.<AcmeChallenges>map(a -> a).orElse(AcmeChallenges.NONE), metrics, accessLog),
                new ConnectionLimits(settings.limits(), trusted));
        GatewayMetrics page = metrics;
        AdminServer admin = new AdminServer(vertx, new AdminApi(control, token, () -> edgePort, () -> httpsPort,
                readiness, certificates, java.util.Optional.of(page::scrape))
                .withBrowsers(new dev.skewgate.dashboard.Dashboard(vertx, control, token,
                        new dev.skewgate.dashboard.HostGuard(settings.adminHost(), settings.adminHostNames()),
                        Clock.systemUTC())));
        if (settings.httpsPort().isPresent()) {
            int asked = settings.httpsPort().getAsInt();
            EdgeServer.Listener tls = EdgeServer.Listener.tls(keys, settings.acme().enabled()
                    && settings.acme().challenge() == dev.skewgate.config.AcmeSettings.Challenge.TLS_ALPN_01);
            httpsPort = await(edge.start(settings.edgeHost(), asked, settings.edgeInstances(), tls), "HTTPS listener",
                    settings.edgeHost(), asked, "--https-port", "--host / SKEWGATE_HOST");
            LOG.info("HTTPS listener's TLS: {}", tls.engine().orElse("?"));
            edgePort = await(edge.start(settings.edgeHost(), settings.edgePort(), settings.edgeInstances(),
                            EdgeServer.Listener.redirectingTo(httpsPort)), "HTTP listener (redirects to HTTPS)",
                    settings.edgeHost(), settings.edgePort(), "--http-port", "--host / SKEWGATE_HOST");
        } else {
            edgePort = await(edge.start(settings.edgeHost(), settings.edgePort(), settings.edgeInstances()),
                    "edge listener (for browsers)", settings.edgeHost(), settings.edgePort(), "--port / SKEWGATE_PORT",
                    "--host / SKEWGATE_HOST");
        }
        adminPort = await(admin.start(settings.adminHost(), settings.adminPort()), "admin listener",
                settings.adminHost(), settings.adminPort(), "--admin-port / SKEWGATE_ADMIN_PORT",
                "--admin-host / SKEWGATE_ADMIN_HOST");
        java.util.Set<Integer> own = new java.util.HashSet<>(Set.of(edgePort, adminPort));
        if (httpsPort > 0) {
            own.add(httpsPort);
        }
        if (settings.observability().metricsHost().isPresent()) {
            String host = settings.observability().metricsHost().get();
            metricsPort = await(new MetricsServer(vertx, metrics).start(host, settings.observability().metricsPort()),
                    "metrics listener", host, settings.observability().metricsPort(), "--metrics-listen",
                    "--metrics-listen");
            own.add(metricsPort);
        }
        control.ownPorts(Set.copyOf(own));
        control.compilePending(beforePendingCompile);
        heartbeat = new NodeHeartbeat(nodes, cluster, local, nodeId,
                dev.skewgate.http.ListenAddress.inUrl(settings.edgeHost()) + ":" + edgePort, java.time.Instant.now(),
                () -> serving(routing));
        heartbeat.start();
        if (database != null) {
            StandbyStore standing = standby;
            lastKnownGood = new LastKnownGood.Saver(database, settings.dataDir(),
                    () -> standing == null || standing.connected());
            LastKnownGood.Saver saver = lastKnownGood;
            NodeHeartbeat beat = heartbeat;
            routing.onSwap(() -> {
                beat.soon(); // the others see this node serve a change at once, not 3 s later
                saver.soon(); // and a restart without the database serves it too
            });
            saver.soon();
        } else {
            routing.onSwap(heartbeat::soon);
        }

        long every = Math.max(1000, settings.retentionInterval().toMillis());
        // On a shared database one node runs these for all (the leader; see Leadership), the others skip them.
        vertx.setPeriodic(every, id -> vertx.executeBlocking(() -> leadership.leads() ? control.retention().run() : null,
                        false)
                .onFailure(e -> LOG.warn("retention pass failed, will retry: {}", e.toString())));
        vertx.setPeriodic(CHECK_TICK_MS, id -> vertx.executeBlocking(() -> {
            if (leadership.leads()) {
                control.checks().run();
            }
            return null;
        }, false).onFailure(e -> LOG.warn("continuous checks failed, will retry: {}", e.toString())));
        LOG.info("Skewgate is serving on {}http://{}:{} (admin API on http://{}:{}, data in {}, store {} {})",
                httpsPort > 0 ? "https://" + settings.edgeHost() + ":" + httpsPort + " and " : "",
                settings.edgeHost(), edgePort, settings.adminHost(), adminPort,
                settings.dataDir().toAbsolutePath().normalize(), store.info().kind(), store.info().where());
    }

    /**
     * Opens the PostgreSQL store; when the database cannot be reached and this data directory holds a last-known-good
     * copy, starts standing by on it instead ({@link #store} is then the {@link StandbyStore}). Without a copy, or
     * for any other failure (a refused login, another secret key), the failure stands: the start ends with it.
     */
    private PostgresStore openPostgres(String url) {
        PostgresStore shared = PostgresStore.unconnected(url, settings.dataDir());
        try {
            shared.connect();
            store = shared;
            return shared;
        } catch (StoreFailure e) {
            Optional<Instant> saved = LastKnownGood.savedAt(settings.dataDir());
            if (saved.isEmpty() || !PostgresStore.cannotReach(e)) {
                shared.close();
                throw e;
            }
            try {
                standby = StandbyStore.of(shared, settings.dataDir());
            } catch (RuntimeException copyFailed) {
                shared.close();
                e.addSuppressed(copyFailed);
                throw e;
            }
            store = standby;
            LOG.warn("database unreachable: serving the last-known-good snapshot from {}; admin writes answer 503 "
                    + "until it returns ({})", standby.savedAt(), e.getMessage());
            return shared;
        } catch (RuntimeException e) {
            shared.close();
            throw e;
        }
    }

    /** A TLS context trusting only the CA certificates in {@code pem} (a private ACME CA's). */
    private static javax.net.ssl.SSLContext trusting(java.nio.file.Path pem) {
        try {
            return dev.skewgate.tls.TrustStores.trustingOnly(pem);
        } catch (IOException e) {
            throw new IllegalArgumentException("--acme-ca-file " + pem + ": " + e.getMessage(), e);
        }
    }

    /** The expiry of each host's certificate, for the metrics (empty until the certificate manager runs). */
    private Map<String, Long> certificateExpiry() {
        CertificateManager certs = certificates;
        Map<String, Long> out = new java.util.TreeMap<>();
        if (certs != null) {
            for (CertificateManager.View v : certs.list()) {
                v.notAfter().ifPresent(t -> out.put(v.host(), t.getEpochSecond()));
            }
        }
        return out;
    }

    /** Bytes of blobs on this machine's disk. */
    private interface DiskBytes {
        long measure() throws IOException;
    }

    /** Bytes in the blob store, or -1 when the folder cannot be read (the gauge then says so rather than 0). */
    private static long blobBytes(DiskBytes blobs) {
        try {
            return blobs.measure();
        } catch (IOException e) {
            LOG.warn("metrics: cannot measure the blob store: {}", e.toString());
            return -1;
        }
    }

    /** The control plane's decisions, counted. */
    private ControlEvents controlEvents() {
        return new ControlEvents() {
            @Override
            public void activationRefused(String site, String code) {
                metrics.activationRefused(site, code);
            }

            @Override
            public void checked(String site, java.util.List<CheckResult> results) {
                results.stream().filter(r -> !r.ok()).forEach(r -> metrics.checkFailed(site, r.host(), r.check()));
            }

            @Override
            public void purged(java.util.List<String> deployments) {
                metrics.purged(deployments);
            }
        };
    }

    /** Requests waiting for deployments the start has not compiled yet (tests wait for theirs to arrive). */
    public int requestsWaitingForCompile() {
        return routing == null ? 0 : routing.waiting();
    }

    /** Compression jobs queued or running (tests wait for none). */
    public int compressionPending() {
        return compressor == null ? 0 : compressor.pendingCount();
    }

    /** Tells open tabs; a retired deployment's WebSockets are also closed after the drain period. */
    /** The push hub, with a switch counted and a retirement closing that deployment's WebSockets. */
    private dev.skewgate.push.Announcer announcer() {
        return new dev.skewgate.push.Announcer() {
            @Override
            public int announce(ChangeNotice notice) {
                return Gateway.this.announce(notice);
            }

            @Override
            public void recall(String site, long coveredFrom, long newest, List<ChangeNotice> notices) {
                push.recall(site, coveredFrom, newest, notices);
            }
        };
    }

    private int announce(ChangeNotice notice) {
        if (notice instanceof ChangeNotice.Switched switched) {
            metrics.switched(switched.site(), switched.reason());
        }
        int told = push.announce(notice);
        if (notice instanceof ChangeNotice.Retired retired) {
            int sockets = tunnels.retire(retired.deployment(), settings.webSocketDrain().toMillis());
            if (sockets > 0) {
                LOG.info("closing {} WebSocket(s) to retired deployment {} in {}", sockets, retired.deployment(),
                        settings.webSocketDrain());
            }
        }
        return told;
    }

    /** The active deployment of each site in this node's snapshot, for its heartbeat. */
    private static Map<String, String> serving(RoutingHolder routing) {
        Map<String, String> out = new java.util.TreeMap<>();
        routing.current().sites().forEach((name, site) -> site.active().ifPresent(d -> out.put(name, d.id())));
        return out;
    }

    /** What is running, from the data plane's own counters: the control plane's (and the status's) one view of it. */
    private Running running() {
        return new Running() {
            @Override
            public Map<String, Integer> openTabs(String site) {
                return push.openClients(site);
            }

            @Override
            public Map<String, Map<String, Integer>> openTabs() {
                return push.openClients();
            }

            @Override
            public Set<String> counted() {
                Set<String> all = new java.util.HashSet<>(traffic.servedCounters().keySet());
                all.addAll(traffic.retiredCounters().keySet());
                all.addAll(tunnels.deployments());
                return all;
            }

            @Override
            public Activity activity(String deployment) {
                TrafficMeter.Usage usage = traffic.usage(deployment);
                TrafficMeter.Usage late = traffic.retiredUsage(deployment);
                return new Activity(tunnels.open(deployment), usage.lastMinute(), usage.last5Minutes(),
                        usage.lastRequest(), late.last5Minutes(), traffic.retiredClient(deployment));
            }
        };
    }

    /** The shutdown delay is the point of the wait: the listeners stay open while load balancers notice the 503. */
    private void drainDelay() {
        try {
            Thread.sleep(settings.shutdownDelay().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // stop at once then, as the caller asked
        }
    }

    private static int await(Future<Integer> future, String what, String host, int port, String portFlag,
                             String hostFlag) throws IOException {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String address = dev.skewgate.http.ListenAddress.inUrl(host) + ":" + port;
            ListenFailure why = ListenFailure.of(cause);
            throw new IOException("cannot start the " + what + " on " + address + ": " + why.words()
                    + (why.address() ? "; choose another address with " + hostFlag
                    : "; choose another port with " + portFlag), cause);
        }
    }

    /** Why a listen failed, in words (Netty's native transport says only "bind(..) failed with error(-98)"). */
    private record ListenFailure(String words, boolean address) {
        static ListenFailure of(Throwable cause) {
            for (Throwable t = cause; t != null; t = t.getCause()) {
                String m = String.valueOf(t.getMessage());
                if (m.contains("ermission denied") || m.contains("error(-13)")) {
                    return new ListenFailure("permission denied (ports below 1024 need privileges)", false);
                }
                if (m.contains("Address already in use") || m.contains("error(-98)")) {
                    return new ListenFailure("the address is already in use (another Skewgate, or another server?)",
                            false);
                }
                if (m.contains("Cannot assign requested address") || m.contains("error(-99)")) {
                    return new ListenFailure("this machine has no such address", true);
                }
                if (t instanceof java.net.UnknownHostException) {
                    return new ListenFailure("the host name does not resolve", true);
                }
            }
            return new ListenFailure("the listen failed", true);
        }
    }

    /** The HTTPS listener's port, or -1 without HTTPS. */
    public int httpsPort() {
        return httpsPort;
    }

    public CertificateManager certificates() {
        return certificates;
    }

    public int edgePort() {
        return edgePort;
    }

    public int adminPort() {
        return adminPort;
    }

    /** The port of {@code --metrics-listen}, or -1 when it is off. */
    public int metricsPort() {
        return metricsPort;
    }

    /** Which store this gateway runs on (no credentials). */
    public dev.skewgate.store.StoreInfo storeInfo() {
        return store.info();
    }

    /** The change feed's connection on PostgreSQL while it listens (tests end it to see the feed recover). */
    public java.util.OptionalInt changeFeedPid() {
        dev.skewgate.store.postgres.ChangeFeed feed = changes;
        return feed == null ? java.util.OptionalInt.empty() : feed.backendPid();
    }

    /** Whether this node serves its last-known-good copy because it has not reached its database since it started. */
    public boolean standingBy() {
        StandbyStore s = standby;
        return s != null && !s.connected();
    }

    /** How many last-known-good copies this node saved since it started (0 off PostgreSQL; tests wait for one). */
    public long lastKnownGoodSaves() {
        LastKnownGood.Saver s = lastKnownGood;
        return s == null ? 0 : s.saves();
    }

    /** The PostgreSQL blob store with this node's cache, when the store is PostgreSQL (tests look at its counts). */
    public Optional<PostgresBlobStore> postgresBlobs() {
        return Optional.ofNullable(pgBlobs);
    }

    public ControlPlane control() {
        return control;
    }

    /** The push channel: its streams, and what it announces (tests announce through it directly). */
    public PushHub push() {
        return push;
    }

    /** Open streams by boot deployment, for tests and status. */
    public Map<String, Integer> openClients(String site) {
        return push.openClients(site);
    }

    /**
     * Graceful stop: readiness turns 503 at once and the edge goes on serving for the shutdown delay (a load balancer
     * takes the gateway out meanwhile); then event streams are ended (tabs reconnect elsewhere), the edge stops
     * accepting and lets in-flight requests finish within the grace period, and everything closes.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (readiness != null) {
            readiness.stopping();
        }
        if (changes != null) {
            changes.close(); // nothing changes under a stopping gateway: the next start reads everything
            changes = null;
        }
        if (vertx != null) {
            if (edge != null && !settings.shutdownDelay().isZero()) {
                LOG.info("stopping: readiness answers 503; serving {} more before closing the listeners",
                        Durations.format(settings.shutdownDelay()));
                drainDelay();
            }
            if (push != null) {
                push.closeAll();
            }
            if (edge != null) {
                try {
                    edge.shutdown(settings.shutdownGrace()).toCompletionStage().toCompletableFuture()
                            .get(settings.shutdownGrace().toMillis() + 5_000, TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    LOG.warn("in-flight requests did not all finish within {}: {}", settings.shutdownGrace(), e.toString());
                }
            }
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("the HTTP servers did not stop cleanly: {}", e.toString());
            }
            vertx = null;
        }
        if (accessLog != null) {
            accessLog.close();
            accessLog = null;
        }
        if (metrics != null) {
            metrics.close();
            metrics = null;
        }
        if (compressor != null) {
            compressor.close(); // a variant being written stays a temp file, removed at the next start
            compressor = null;
        }
        if (lastKnownGood != null) {
            lastKnownGood.close(); // a save cut short leaves a temp file; the copy on disk stays whole
            lastKnownGood = null;
        }
        if (heartbeat != null) {
            heartbeat.close();
            heartbeat = null;
        }
        if (leadership != null) {
            leadership.close(); // released at once: another node takes the jobs over at its next tick
            leadership = null;
        }
        if (control != null) {
            control.stop();
        }
        if (backends != null) {
            backends.close(!settings.keepBackends());
            backends = null;
        }
        if (certificates != null) {
            certificates.close();
        }
        if (pgBlobs != null) {
            pgBlobs.close();
            pgBlobs = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
        LOG.info("Skewgate stopped");
    }
}
