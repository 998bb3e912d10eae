package dev.skewgate.routing;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/** The one place the two planes meet: the control plane swaps the snapshot, the data plane reads it. */
public final class RoutingHolder implements Routes {

    private final AtomicReference<RoutingTable> current = new AtomicReference<>(RoutingTable.EMPTY);

    @Override
    public RoutingTable current() {
        return current.get();
    }

    /** Publishes a new snapshot; requests that already read the old one finish on it. */
    public void swap(RoutingTable next) {
        current.set(next);
    }

    /** Whether a snapshot built from the store was ever published (before that, every host is unknown). */
    public boolean loaded() {
        return current.get() != RoutingTable.EMPTY; // every built table is a new one, even with no sites
    }

    /**
     * Publishes the snapshot {@code change} makes of the live one, atomically: two sites changed at the same time both
     * end up in the table. {@code change} must be free of side effects (it may run more than once).
     */
    public RoutingTable update(UnaryOperator<RoutingTable> change) {
        return current.updateAndGet(change);
    }
}
