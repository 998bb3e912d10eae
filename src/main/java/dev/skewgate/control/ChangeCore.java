package dev.skewgate.control;

import dev.skewgate.model.Deployment;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.model.SkewgateException;
import dev.skewgate.model.SnapshotFailedException;
import dev.skewgate.push.Announcer;
import dev.skewgate.push.ChangeNotice;
import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.routing.SiteRoute;
import dev.skewgate.snapshot.SnapshotCompiler;
import dev.skewgate.store.Store;
import dev.skewgate.store.StoreFailure;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's one serialized core, through which every change to what is served passes: change, build,
 * commit, swap, announce.
 *
 * <p>Changes to one site run one at a time in arrival order (a fair lock per site) and announce in that order.
 * Changes to different sites are independent; they only share the commit step, which holds no network call and no
 * wait: the writes and the site's new snapshot are built inside one store transaction, so a snapshot that cannot be
 * built rolls the writes back, and the table swap follows the commit. Readiness probes and synthetic checks run
 * before a change, outside every lock (see {@link Lifecycle#activate}).
 */
final class ChangeCore {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeCore.class);

    private final Store store;
    private final SnapshotCompiler compiler;
    private final RoutingHolder routing;
    private final Announcer announcer;
    /** Told the site of each committed change (the backend supervisor starts and stops instances from it). */
    private final java.util.function.Consumer<String> committed;
    /** One lock per site name ever changed on this gateway: a few bytes each, only admins (with the token) add them. */
    private final Map<String, ReentrantLock> siteLocks = new ConcurrentHashMap<>();
    /** Commits and swaps in one order, so a host name that moves between two sites is never served by both. */
    private final ReentrantLock commit = new ReentrantLock(true);
    /**
     * Per site, the newest event this gateway told its tabs about or passed over: where catching up on the changes
     * of other nodes (sharing one store) starts. Kept on every store; only read once other nodes share it.
     */
    private final Map<String, Long> handled = new ConcurrentHashMap<>();
    /** Set once other nodes' changes arrive ({@link #refresh}): only then can an event skip this gateway's tabs. */
    private volatile boolean shared;
    /** Events read back at most per catch-up: the push replay keeps fewer, so older ones would not be resent. */
    private static final int CATCH_UP = 256;
    /** Runs the memory rebalances that follow a switch, one at a time, off the switch's path. */
    private final java.util.concurrent.Executor rebalancer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "skewgate-rebalance");
        t.setDaemon(true);
        return t;
    });

    ChangeCore(Store store, SnapshotCompiler compiler, RoutingHolder routing, Announcer announcer,
               java.util.function.Consumer<String> committed) {
        this.committed = committed;
        this.store = store;
        this.compiler = compiler;
        this.routing = routing;
        this.announcer = announcer;
    }

    Store store() {
        return store;
    }

    /**
     * Builds and publishes the first snapshot from what the store holds: each site's active deployment, the others
     * pending until {@link #complete} of the site.
     */
    void start() {
        routing.swap(compiler.compileActive());
        // Off the start's path (a query or two per site, ~60 ms with 100 sites: bench/startup.sh): a tab that
        // reconnects in the first moments gets a fresh hello, as it would from a gateway that kept nothing.
        java.util.Set<String> sites = routing.current().sites().keySet();
        Thread recalling = new Thread(() -> {
            for (String site : sites) {
                try {
                    recall(site, store.events(site, CATCH_UP));
                } catch (RuntimeException e) {
                    LOG.debug("site {}: reading its stored events for the push channel failed (closing?)", site, e);
                    return;
                }
            }
        }, "skewgate-recall");
        recalling.setDaemon(true);
        recalling.start();
    }

    /**
     * Gives the push channel the notices of the site's recent stored events ({@code recent}, newest first, as
     * {@link Store#events} reads them): a tab that reconnects after this gateway started, or after it caught up with
     * changes it did not see, resumes by {@code Last-Event-ID} from them instead of a fresh hello.
     */
    private void recall(String site, List<SiteEvent> recent) {
        if (recent.isEmpty()) {
            return;
        }
        long newest = recent.get(0).seq();
        // Fewer than asked for: that is every event the site has, so the range starts before its first.
        long coveredFrom = recent.size() < CATCH_UP ? 0 : recent.get(recent.size() - 1).seq() - 1;
        Optional<dev.skewgate.model.RuntimeConfig> config = store.site(site).map(dev.skewgate.model.Site::config);
        List<ChangeNotice> notices = StoredNotices.of(between(recent, coveredFrom, Long.MAX_VALUE), config).stream()
                .map(StoredNotices.Told::notice).toList();
        try {
            announcer.recall(site, coveredFrom, newest, notices);
        } catch (RuntimeException e) {
            LOG.warn("site {}: handing stored events to the push channel failed: {}", site, e.toString());
        }
    }

    /**
     * Compiles the deployments of a site that the first snapshot left pending and swaps the complete route in, unless
     * a change of the site did so already (every change's build is complete). Like a rebalance, off the change path.
     *
     * @return whether there was anything to compile
     */
    boolean complete(String site) {
        return serialized(site, () -> {
            SiteRoute live = routing.current().sites().get(site);
            if (live == null || live.complete()) {
                return false;
            }
            // Outside a transaction, as a rebalance: only a change of this site could alter what it reads, and
            // those wait for the site's lock held here.
            publishInOrder(site, compiler.compile(site));
            return true;
        });
    }

    /**
     * Runs one change of a site: {@code writes} in one store transaction together with the build of the site's new
     * snapshot, then the swap, then {@code announce} (still in the site's order). Validation belongs inside
     * {@code writes}, reading the store as the transaction sees it, so it decides on the state it changes.
     */
    <T> T change(String site, Supplier<T> writes, UnaryOperator<T> announce) {
        return serialized(site, () -> {
            compilePending(site);
            return announce.apply(commit(site, writes));
        });
    }

    <T> T change(String site, Supplier<T> writes) {
        return change(site, writes, UnaryOperator.identity());
    }

    /**
     * The same, first compiling the deployment the change will add ({@link SnapshotCompiler#prepare}) in the site's
     * order but before the commit step, so reading its files holds up no other site. A failure there is left to the
     * change's own build to report.
     */
    <T> T changeAdding(String site, Deployment added, List<ManifestEntry> files, Supplier<T> writes,
                       UnaryOperator<T> announce) {
        return serialized(site, () -> {
            compilePending(site);
            try {
                compiler.prepare(site, added, files);
            } catch (RuntimeException e) {
                LOG.debug("site {}: compiling {} ahead of its change failed: {}", site, added.id(), e.toString());
            }
            T result;
            try {
                result = commit(site, writes);
            } catch (RuntimeException e) {
                compiler.discard(site); // a refused change leaves nothing it prepared behind
                throw e;
            }
            return announce.apply(result);
        });
    }

    /**
     * Compiles what the start left pending of the site now, outside the commit step, so that the change's own
     * (complete) build does not do it while holding up every other site's commit; a no-op once the site is complete.
     * A failure is left to the change's own build to report.
     */
    void compilePending(String site) {
        try {
            complete(site);
        } catch (RuntimeException e) {
            LOG.debug("site {}: compiling its pending deployments first failed: {}", site, e.toString());
        }
    }

    /** Runs work in the site's order without a commit of its own (it may call {@link #change}: the lock re-enters). */
    <T> T serialized(String site, Supplier<T> work) {
        ReentrantLock lock = siteLocks.computeIfAbsent(site, k -> new ReentrantLock(true));
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    private <T> T commit(String site, Supplier<T> writes) {
        long waited = System.nanoTime();
        commit.lock();
        try {
            long start = System.nanoTime();
            long[] built = new long[2];
            Built<T> result = store.transaction(() -> {
                T written = writes.get();
                built[0] = System.nanoTime();
                SnapshotCompiler.SiteBuild build = build(site);
                built[1] = System.nanoTime();
                return new Built<>(written, build);
            });
            long committed = System.nanoTime();
            publish(site, result.build());
            tellSupervisor(site);
            if (result.build().rebalance()) {
                rebalancer.execute(() -> rebalance(site));
            }
            if (LOG.isDebugEnabled()) {
                long swapped = System.nanoTime();
                LOG.debug("site {}: change committed: waited {} us for the commit step, writes {} us, build {} us, "
                                + "commit {} us, swap {} us", site, (start - waited) / 1000, (built[0] - start) / 1000,
                        (built[1] - built[0]) / 1000, (committed - built[1]) / 1000, (swapped - committed) / 1000);
            }
            return result.result();
        } finally {
            commit.unlock();
        }
    }

    /**
     * Gives the newly active deployment the memory budget first, after its switch is live: the same files, some now
     * from memory instead of disk, swapped in like any change (nothing is written, nothing announced).
     */
    private void rebalance(String site) {
        try {
            serialized(site, () -> {
                // Built outside the commit step and without a transaction: only a change of this site could alter
                // what it reads, and those wait for the site's lock held here.
                publishInOrder(site, compiler.rebalance(site));
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("site {}: rebalancing the memory budget failed, its files stay served from disk: {}", site,
                    e.toString());
        }
    }

    /** Publishes a build made outside a change, in the commit step's order. */
    private void publishInOrder(String site, SnapshotCompiler.SiteBuild build) {
        commit.lock();
        try {
            publish(site, build);
        } finally {
            commit.unlock();
        }
    }

    /**
     * Catches up with a change another node committed to the site (or, with {@code everything}, with whatever may
     * have been missed): re-reads the site, swaps its new snapshot in, then tells this gateway's tabs each event it
     * has not told them, under the number the store gave it, in order. The events are read before the build, so the
     * build shows at least what they announce; a change committed meanwhile brings its own notice. Without
     * {@code everything}, a site with no new event is left as it is (the notice of a change already shown here).
     */
    void refresh(String site, boolean everything) {
        shared = true;
        serialized(site, () -> {
            List<SiteEvent> recent = store.events(site, CATCH_UP);
            long newest = recent.isEmpty() ? 0 : recent.get(0).seq();
            Long mark = handled.get(site);
            // A site first seen on a full re-read has nothing to tell yet; one first seen by a notice is new.
            long from = mark != null ? mark : everything ? newest : 0;
            List<SiteEvent> missed = between(recent, from, Long.MAX_VALUE);
            if (missed.isEmpty() && !everything) {
                return null;
            }
            // Built outside a transaction, like a rebalance: a change another node makes meanwhile sends a notice
            // of its own, and the re-read it causes replaces whatever this build saw of it.
            SnapshotCompiler.SiteBuild build = compiler.compile(site);
            commit.lock();
            try {
                publish(site, build);
            } finally {
                commit.unlock();
            }
            tellSupervisor(site);
            if (build.rebalance()) {
                rebalancer.execute(() -> rebalance(site));
            }
            tell(site, missed);
            handled.merge(site, newest, Math::max);
            // More may have been missed than one read holds: the read range then replaces a replay with a gap.
            recall(site, recent);
            return null;
        });
    }

    /** Re-reads every site the store holds or this gateway serves ({@link #refresh} with everything). */
    void refreshAll() {
        java.util.Set<String> names = new java.util.TreeSet<>(routing.current().sites().keySet());
        store.sites().forEach(s -> names.add(s.name()));
        for (String name : names) {
            refresh(name, true);
        }
    }

    /** The events numbered after {@code after} and before {@code before}, oldest first. */
    private static List<SiteEvent> between(List<SiteEvent> events, long after, long before) {
        return events.stream().filter(e -> e.seq() > after && e.seq() < before)
                .sorted(java.util.Comparator.comparingLong(SiteEvent::seq)).toList();
    }

    private void tell(String site, List<SiteEvent> events) {
        if (events.isEmpty()) {
            return;
        }
        Optional<dev.skewgate.model.RuntimeConfig> config = store.site(site).map(dev.skewgate.model.Site::config);
        for (StoredNotices.Told t : StoredNotices.of(events, config)) {
            tellTabs(t.event(), t.notice());
        }
        handled.merge(site, events.get(events.size() - 1).seq(), Math::max);
    }

    private void tellSupervisor(String site) {
        try {
            this.committed.accept(site);
        } catch (RuntimeException e) {
            LOG.warn("site {}: telling the backend supervisor of a change failed: {}", site, e.toString());
        }
    }

    /** Keeps a build and swaps its route in (or the site out); called holding the commit step. */
    private void publish(String site, SnapshotCompiler.SiteBuild build) {
        compiler.adopt(build);
        Optional<SiteRoute> route = build.route();
        routing.update(table -> route.map(table::withSite).orElseGet(() -> table.withoutSite(site)));
    }

    private SnapshotCompiler.SiteBuild build(String site) {
        try {
            return compiler.compile(site);
        } catch (SkewgateException | StoreFailure e) {
            throw e; // a refusal or the store failing says so itself
        } catch (RuntimeException e) {
            String why = e instanceof UncheckedIOException ? e.getMessage() : "an internal error (see the gateway log)";
            LOG.error("site {}: the routing snapshot could not be built; the change is refused", site, e);
            throw new SnapshotFailedException("the change to site '" + site + "' was refused: its routing snapshot "
                    + "could not be built (" + why + "); nothing was changed", e);
        }
    }

    private record Built<T>(T result, SnapshotCompiler.SiteBuild build) {
    }

    /**
     * Tells open tabs about a committed event and records how many were told; returns the event with that count. A
     * failure to tell is logged, never undoes the change.
     */
    SiteEvent announce(SiteEvent event, ChangeNotice notice) {
        Long mark = handled.get(event.site());
        if (shared && mark != null && mark < event.seq() - 1) {
            // Another node's change committed just before this one and its notice waits for this site's lock:
            // told first, so the tabs here get every event once and in order.
            try {
                tell(event.site(), between(store.events(event.site(), CATCH_UP), mark, event.seq()));
            } catch (RuntimeException e) {
                LOG.warn("site {}: catching up with events before {} failed: {}", event.site(), event.seq(),
                        e.toString());
            }
        }
        return tellTabs(event, notice);
    }

    private SiteEvent tellTabs(SiteEvent event, ChangeNotice notice) {
        handled.merge(event.site(), event.seq(), Math::max);
        int notified;
        try {
            notified = announcer.announce(notice);
        } catch (RuntimeException e) {
            LOG.warn("site {}: telling open tabs about event {} failed: {}", event.site(), event.seq(), e.toString());
            return event;
        }
        if (notified > 0) {
            store.setNotified(event.site(), event.seq(), notified);
        }
        LOG.info("site {}: event {} ({}) notified {} client(s)", event.site(), event.seq(), notice.type(), notified);
        return new SiteEvent(event.site(), event.seq(), event.type(), event.deployment(), event.previous(), event.actor(),
                event.at(), notified, event.detail());
    }
}
