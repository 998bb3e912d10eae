package dev.skewgate.routing;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The live instances of a backend the gateway runs itself. The snapshot holds this seam rather than addresses because
 * instances come, go and restart on their own clock, not on the control plane's: the proxy asks it per request.
 * Implemented by the backend supervisor; one per deployment, the same object for the deployment's life.
 */
public interface InstancePool {

    /** The instances that answer now, in a stable order; empty while none does (starting, sleeping, restarting). */
    List<BackendRoute.Upstream> ready();

    /**
     * Called when a request finds none ready: wakes a sleeping deployment and completes once an instance is ready,
     * or fails (bounded by the site's readiness timeout) with why, in words a browser may see.
     */
    CompletionStage<Void> awaitReady();

    /** A request starts on an instance: counted for draining before a stop, and as activity for idle-stop. */
    void begin(BackendRoute.Upstream upstream);

    /** The request that {@link #begin} counted is over (whichever way). */
    void end(BackendRoute.Upstream upstream);
}
