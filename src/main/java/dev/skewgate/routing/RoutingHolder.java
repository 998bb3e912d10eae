package dev.skewgate.routing;

import java.util.concurrent.atomic.AtomicReference;

/** The one place the two planes meet: the control plane swaps the snapshot, the data plane reads it. */
public final class RoutingHolder {

    private final AtomicReference<RoutingTable> current = new AtomicReference<>(RoutingTable.EMPTY);
    private volatile boolean loaded;

    public RoutingTable current() {
        return current.get();
    }

    /** Publishes a new snapshot; requests that already read the old one finish on it. */
    public void swap(RoutingTable next) {
        current.set(next);
        loaded = true;
    }

    /** Whether a snapshot built from the store was ever published (before that, every host is unknown). */
    public boolean loaded() {
        return loaded;
    }
}
