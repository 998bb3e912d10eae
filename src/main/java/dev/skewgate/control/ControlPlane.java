package dev.skewgate.control;

import dev.skewgate.push.Announcer;
import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.snapshot.SnapshotCompiler;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.Store;
import java.time.Clock;
import java.util.Set;

/**
 * Every change to what is served, by capability: {@link Sites}, {@link Uploads}, {@link Lifecycle},
 * {@link ContinuousChecks}, {@link ConfigAndWebhooks}, {@link RetentionPass}; and {@link ServerEnv}, which is not
 * served. All of them change through one small serialized core (per-site order; build, commit, swap, announce), which
 * is the only writer of the routing holder.
 */
public final class ControlPlane {

    /**
     * What the control plane talks to outside itself: the push channel it announces changes on, the checks a switch
     * must pass, and the port that says what is running.
     */
    public record Ports(Announcer announcer, SwitchGuard guard, Running running, BackendProcesses backends,
                        ControlEvents events) {
        /** Nothing connected: for tools and tests that run a control plane without an edge. */
        public static final Ports NONE = new Ports(Announcer.NONE, SwitchGuard.NONE, Running.NONE,
                BackendProcesses.NONE, ControlEvents.NONE);

        public Ports(Announcer announcer, SwitchGuard guard, Running running) {
            this(announcer, guard, running, BackendProcesses.NONE, ControlEvents.NONE);
        }

        public Ports(Announcer announcer, SwitchGuard guard, Running running, BackendProcesses backends) {
            this(announcer, guard, running, backends, ControlEvents.NONE);
        }
    }

    private final ChangeCore core;
    private final OwnAddresses own;
    private final Running running;
    private final Sites sites;
    private final Uploads uploads;
    private final Lifecycle lifecycle;
    private final ContinuousChecks checks;
    private final ConfigAndWebhooks config;
    private final RetentionPass retention;
    private final ServerEnv env;
    private final BackendProcesses backends;
    private final dev.skewgate.store.StoreInfo storeInfo;
    private final PendingCompile pending;

    public ControlPlane(Store store, BlobStore blobs, RoutingHolder routing, SnapshotCompiler compiler, Clock clock,
                        Ports ports) {
        this.core = new ChangeCore(store, compiler, routing, ports.announcer(), ports.backends()::changed);
        this.pending = new PendingCompile(core, routing);
        this.backends = ports.backends();
        this.storeInfo = store.info();
        this.own = new OwnAddresses(store);
        this.running = ports.running();
        this.checks = new ContinuousChecks(core, ports.guard(), clock, ports.events());
        this.sites = new Sites(core, own, clock, checks);
        this.uploads = new Uploads(core, blobs, sites, own, clock);
        this.lifecycle = new Lifecycle(core, sites, uploads, ports.guard(), checks, ports.backends(), clock,
                ports.events());
        this.checks.lifecycle(lifecycle);
        this.config = new ConfigAndWebhooks(core, sites, clock);
        this.env = new ServerEnv(core, sites, clock);
        this.retention = new RetentionPass(core, blobs, uploads, lifecycle, running, clock, ports.events());
    }

    /**
     * Builds and publishes the first snapshot from what the store holds: every site with its active deployment; the
     * other servable deployments are pending until {@link #compilePending}.
     */
    public void start() {
        core.start();
    }

    /**
     * Compiles the deployments {@link #start} left pending, in the background (call it once the listeners are bound).
     *
     * @param beforeEach called with each site before its compile, on the compiling thread (tests hold it there)
     */
    public void compilePending(java.util.function.Consumer<String> beforeEach) {
        pending.start(beforeEach);
    }

    /** Stops the background compile (before the store closes); safe when it never started. */
    public void stop() {
        pending.stop();
    }

    /**
     * Another node sharing the store changed the site: re-read it, swap its snapshot in, then tell this gateway's
     * tabs the events they have not been told (with the numbers the store gave them).
     */
    public void changedElsewhere(String site) {
        core.refresh(site, false);
    }

    /** Re-reads every site, as after a lost connection to a shared store: whatever was missed is caught up on. */
    public void rereadAll() {
        core.refreshAll();
    }

    /** The gateway's own listening ports, so no backend is pointed back at it; set once the listeners are bound. */
    public void ownPorts(Set<Integer> ports) {
        own.ports(ports);
    }

    public Sites sites() {
        return sites;
    }

    public Uploads uploads() {
        return uploads;
    }

    public Lifecycle lifecycle() {
        return lifecycle;
    }

    public ContinuousChecks checks() {
        return checks;
    }

    public ConfigAndWebhooks config() {
        return config;
    }

    /** Each site's server-side environment: stored and audited, never part of what the data plane serves. */
    public ServerEnv env() {
        return env;
    }

    /** The processes of managed backends: their state, instances, logs and restarts. */
    public BackendProcesses backends() {
        return backends;
    }

    public RetentionPass retention() {
        return retention;
    }

    /** What is running now (open tabs, WebSockets, traffic per deployment), for the status. */
    public Running running() {
        return running;
    }

    /** Which store the gateway runs on (kind and where, no credentials), for {@code /v1/health}. */
    public dev.skewgate.store.StoreInfo storeInfo() {
        return storeInfo;
    }
}
