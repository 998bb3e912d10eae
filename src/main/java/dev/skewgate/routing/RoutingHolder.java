package dev.skewgate.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** The one place the two planes meet: the control plane swaps the snapshot, the data plane reads it. */
public final class RoutingHolder implements Routes {

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final AtomicReference<RoutingTable> current = new AtomicReference<>(RoutingTable.EMPTY);
    /** Requests waiting for a site's deployments to be compiled, by site; guarded by this. */
    private final Map<String, List<CompletableFuture<Void>>> waiting = new HashMap<>();
    /** Sites whose compile failed, with why, until a snapshot with the site complete is published; guarded by this. */
    private final Map<String, RuntimeException> failed = new HashMap<>();
    private volatile Consumer<String> wanted = site -> { };
    private volatile Runnable swapped = () -> { };

    @Override
    public RoutingTable current() {
        return current.get();
    }

    /** Publishes a new snapshot; requests that already read the old one finish on it. */
    public void swap(RoutingTable next) {
        current.set(next);
        settle();
        swapped.run();
    }

    /** Told after every published snapshot (the node's heartbeat reports what it serves then); cheap, never blocks. */
    public void onSwap(Runnable listener) {
        this.swapped = listener;
    }

    /** Whether a snapshot built from the store was ever published (before that, every host is unknown). */
    public boolean loaded() {
        return current.get() != RoutingTable.EMPTY; // every built table is a new one, even with no sites
    }

    /**
     * Why the live snapshot cannot answer every request at once yet, or empty when it can: none loaded, or some
     * servable deployments not compiled yet (or failing to compile).
     */
    public synchronized Optional<String> unready() {
        RoutingTable table = current.get();
        if (table == RoutingTable.EMPTY) {
            return Optional.of("no routing snapshot loaded yet");
        }
        if (!failed.isEmpty()) {
            Map.Entry<String, RuntimeException> first = failed.entrySet().iterator().next();
            return Optional.of("site '" + first.getKey() + "': its retained deployments could not be compiled ("
                    + first.getValue().getMessage() + ")");
        }
        int pending = table.pending();
        return pending == 0 ? Optional.empty()
                : Optional.of(pending + " retained deployment(s) not compiled yet (compiled after the active ones)");
    }

    /**
     * Publishes the snapshot {@code change} makes of the live one, atomically: two sites changed at the same time both
     * end up in the table. {@code change} must be free of side effects (it may run more than once).
     */
    public RoutingTable update(UnaryOperator<RoutingTable> change) {
        RoutingTable next = current.updateAndGet(change);
        settle();
        swapped.run();
        return next;
    }

    @Override
    public CompletionStage<Void> compiled(String site) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (this) {
            if (complete(current.get(), site)) {
                return DONE;
            }
            RuntimeException why = failed.get(site);
            if (why != null) {
                return CompletableFuture.failedFuture(why);
            }
            waiting.computeIfAbsent(site, k -> new ArrayList<>()).add(done);
        }
        wanted.accept(site);
        return done;
    }

    /** Requests waiting now for deployments to be compiled (tests wait for theirs to arrive). */
    public synchronized int waiting() {
        return waiting.values().stream().mapToInt(List::size).sum();
    }

    /** Who is told the site a request waits for (the control plane's background compile, to take it next). */
    public void onWanted(Consumer<String> listener) {
        wanted = listener;
    }

    /** Compiling the site's pending deployments failed: requests waiting for them, and later ones, fail with why. */
    public void failed(String site, RuntimeException why) {
        List<CompletableFuture<Void>> told;
        synchronized (this) {
            failed.put(site, why);
            told = waiting.remove(site);
        }
        if (told != null) {
            told.forEach(f -> f.completeExceptionally(why));
        }
    }

    /** Completes the waits the live snapshot answers; outside the lock, as the waiters' callbacks run on this thread. */
    private void settle() {
        List<CompletableFuture<Void>> told = new ArrayList<>();
        synchronized (this) {
            if (waiting.isEmpty() && failed.isEmpty()) {
                return;
            }
            RoutingTable table = current.get();
            failed.keySet().removeIf(site -> complete(table, site));
            waiting.entrySet().removeIf(w -> {
                if (complete(table, w.getKey())) {
                    told.addAll(w.getValue());
                    return true;
                }
                return false;
            });
        }
        told.forEach(f -> f.complete(null));
    }

    private static boolean complete(RoutingTable table, String site) {
        SiteRoute route = table.sites().get(site);
        return route == null || route.complete();
    }
}
