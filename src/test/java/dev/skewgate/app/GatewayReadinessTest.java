package dev.skewgate.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.routing.RoutingTable;
import dev.skewgate.store.sqlite.SqliteStore;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Why the gateway is not ready: no snapshot yet, a store that fails or hangs, a stop under way. */
class GatewayReadinessTest {

    private static final Duration SHORT = Duration.ofMillis(300);

    @TempDir
    Path dir;
    Vertx vertx;
    SqliteStore store;

    @BeforeEach
    void open() {
        vertx = Vertx.vertx();
        store = SqliteStore.open(dir.resolve("skewgate.db"));
    }

    @AfterEach
    void close() throws Exception {
        store.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Optional<String> answer(GatewayReadiness readiness) throws Exception {
        return readiness.check().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void readyOnlyOnceTheFirstSnapshotIsPublished() throws Exception {
        RoutingHolder routing = new RoutingHolder();
        GatewayReadiness readiness = new GatewayReadiness(vertx, store::ping, routing::unready, SHORT);
        assertThat(answer(readiness)).hasValue("no routing snapshot loaded yet");
        routing.swap(RoutingTable.of(java.util.Map.of(), 1)); // built, with no sites yet: ready, nothing to serve
        assertThat(answer(readiness)).isEmpty();
    }

    @Test
    void aStoreThatFailsItsQueryIsNotReady() throws Exception {
        GatewayReadiness readiness = new GatewayReadiness(vertx, store::ping, java.util.Optional::empty, SHORT);
        assertThat(answer(readiness)).isEmpty();
        store.close();
        // The store's last answer stands for a second (one query a second answers a flood of probes); then it shows.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        java.util.Optional<String> why = answer(readiness);
        while (why.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            why = answer(readiness);
        }
        assertThat(why).hasValueSatisfying(w -> assertThat(w).startsWith("the store does not answer"));
    }

    @Test
    void aHangingStoreAnswersNotReadyAfterTheTimeoutAndIsQueriedOnceHoweverManyAsk() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger queries = new AtomicInteger();
        GatewayReadiness readiness = new GatewayReadiness(vertx, () -> {
            queries.incrementAndGet();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, java.util.Optional::empty, SHORT);
        try {
            long started = System.nanoTime();
            List<Optional<String>> answers = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                answers.add(answer(readiness));
            }
            long tookMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
            assertThat(answers).allSatisfy(a -> assertThat(a).hasValue("the store does not answer (no reply within 300 ms)"));
            assertThat(tookMs).as("each probe waits at most the timeout").isLessThan(5 * SHORT.toMillis() + 2_000);
            assertThat(queries).as("probes share the query that hangs, no worker piles up").hasValue(1);
        } finally {
            release.countDown();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Optional<String> after = answer(readiness);
        while (after.isPresent() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            after = answer(readiness);
        }
        assertThat(after).as("ready again once the store answers").isEmpty();
    }

    @Test
    void aStopUnderWayIsNotReadyWhateverTheStoreSays() throws Exception {
        GatewayReadiness readiness = new GatewayReadiness(vertx, store::ping, java.util.Optional::empty, SHORT);
        readiness.stopping();
        assertThat(answer(readiness)).hasValue("shutting down");
    }
}
