package dev.skewgate.app;

import dev.skewgate.http.Readiness;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The gateway's readiness: not while it stops, not before every servable deployment is in the routing snapshot
 * (the first snapshot compiles only the active ones; the rest follow in the background), and only while the store
 * answers a trivial query in time. The edge serves before that, and a request that needs a deployment not compiled
 * yet waits for it; readiness only keeps a load balancer from sending such requests to this gateway while another
 * one can answer them at once. The query runs on a worker; a load balancer probing every second while the store
 * hangs gets its 503 after the timeout and never starts a second query behind the stuck one.
 */
final class GatewayReadiness implements Readiness {

    static final Duration STORE_TIMEOUT = Duration.ofSeconds(2);

    private final Vertx vertx;
    private final Runnable storePing;
    private final Supplier<Optional<String>> snapshotUnready;
    private final Duration timeout;
    private volatile boolean stopping;
    private Future<Void> pinging; // guarded by this: the one store query in flight, shared by every probe meanwhile
    /** Until when the store's last answer stands (System.nanoTime): probes then answer without a query or a timer. */
    private volatile long answeredUntil = System.nanoTime();
    private static final long ANSWER_STANDS_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    private static final Future<Optional<String>> READY = Future.succeededFuture(Optional.empty());

    /**
     * @param storePing throws when the store does not answer
     * @param snapshotUnready why the routing snapshot cannot answer every request yet, empty when it can
     */
    GatewayReadiness(Vertx vertx, Runnable storePing, Supplier<Optional<String>> snapshotUnready, Duration timeout) {
        this.vertx = vertx;
        this.storePing = storePing;
        this.snapshotUnready = snapshotUnready;
        this.timeout = timeout;
    }

    /** From now on the answer is "shutting down", so load balancers take the gateway out before it stops accepting. */
    void stopping() {
        stopping = true;
    }

    /** Completes on the caller's context, so an edge handler writes its answer on its own event loop. */
    @Override
    public Future<Optional<String>> check() {
        if (stopping) {
            return Future.succeededFuture(Optional.of("shutting down"));
        }
        Optional<String> snapshot = snapshotUnready.get();
        if (snapshot.isPresent()) {
            return Future.succeededFuture(snapshot);
        }
        if (System.nanoTime() - answeredUntil < 0) {
            // Probes come from every load balancer every few seconds, and anyone may send them: one store query a
            // second answers them all.
            return READY;
        }
        Context caller = vertx.getOrCreateContext();
        Promise<Optional<String>> answer = Promise.promise();
        long timer = vertx.setTimer(timeout.toMillis(), id -> answer.tryComplete(
                Optional.of("the store does not answer (no reply within " + timeout.toMillis() + " ms)")));
        ping().onComplete(done -> caller.runOnContext(v -> {
            vertx.cancelTimer(timer);
            answer.tryComplete(stopping ? Optional.of("shutting down")
                    : done.succeeded() ? Optional.empty()
                    : Optional.of("the store does not answer: " + done.cause().getMessage()));
        }));
        return answer.future();
    }

    private synchronized Future<Void> ping() {
        if (pinging != null) {
            return pinging;
        }
        Future<Void> started = vertx.executeBlocking(() -> {
            storePing.run();
            answeredUntil = System.nanoTime() + ANSWER_STANDS_NANOS;
            return null;
        }, false);
        pinging = started;
        started.onComplete(done -> finished(started)); // may run at once, when the query was already answered
        return started;
    }

    private synchronized void finished(Future<Void> ping) {
        if (pinging == ping) {
            pinging = null;
        }
    }
}
