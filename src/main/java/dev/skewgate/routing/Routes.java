package dev.skewgate.routing;

import java.util.concurrent.CompletionStage;

/** The data plane's read-only view of the live routing snapshot: it reads, only the control plane swaps. */
public interface Routes {

    /** The snapshot live right now; a request that read it finishes on it even if a newer one is swapped in. */
    RoutingTable current();

    /**
     * Completes once the live snapshot holds every servable deployment of the site compiled ({@link SiteRoute#complete},
     * or the site is gone), at once when it does already; fails when compiling them failed. Asking also tells the
     * control plane that a request waits for this site, so it compiles it next. Completes on the thread that published
     * the snapshot: a caller on an event loop goes back to its own context.
     */
    CompletionStage<Void> compiled(String site);
}
