package dev.skewgate.routing;

/** The data plane's read-only view of the live routing snapshot: it reads, only the control plane swaps. */
public interface Routes {

    /** The snapshot live right now; a request that read it finishes on it even if a newer one is swapped in. */
    RoutingTable current();
}
