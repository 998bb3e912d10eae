package dev.skewgate.http;

import io.vertx.core.Future;
import java.util.Optional;

/**
 * Whether this gateway should be sent traffic: the one question both listeners' readiness endpoints ask, answered by
 * the composition root so that the data plane never learns what a store or a control plane is.
 */
@FunctionalInterface
public interface Readiness {

    /**
     * Completes with empty when ready, or with why not in plain words ("the store does not answer"). Never fails and
     * never blocks the calling thread: an event loop may ask.
     */
    Future<Optional<String>> check();
}
