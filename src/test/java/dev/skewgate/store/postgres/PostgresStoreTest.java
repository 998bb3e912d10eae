package dev.skewgate.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skewgate.model.ConflictException;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.store.SecretBox;
import dev.skewgate.store.Store;
import dev.skewgate.store.StoreContractTest;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.testing.Postgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract on a real PostgreSQL (a fresh database per test on the JVM's throwaway cluster), plus what several
 * nodes sharing one database rely on: two stores on it stand for two nodes.
 */
class PostgresStoreTest extends StoreContractTest {

    @TempDir
    Path dir;

    private String url;

    @Override
    protected Store create() {
        url = Postgres.shared().createDatabase();
        return PostgresStore.open(url, dir);
    }

    @Override
    protected Store reopen(Store current) {
        current.close();
        return PostgresStore.open(url, dir);
    }

    private final Instant t0 = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void twoNodesAppendingToOneSiteAtOnceGetOneGapFreeSequence() throws Exception {
        store.createSite(site("shop", "shop.localhost"), EventDraft.of("site.create", "t", t0, ""));
        int perThread = 25;
        try (PostgresStore other = PostgresStore.open(url, dir)) {
            List<Callable<List<Long>>> work = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            for (Store node : List.of(store, other, store, other)) {
                work.add(() -> {
                    go.await();
                    List<Long> seqs = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        seqs.add(node.appendEvent("shop", EventDraft.of("note", "t", t0, "")).seq());
                    }
                    return seqs;
                });
            }
            List<Long> all = new ArrayList<>();
            for (List<Long> seqs : runTogether(work, go)) {
                all.addAll(seqs);
            }
            assertThat(all).as("every append got its own number").doesNotHaveDuplicates()
                    .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(2, 1 + 4L * perThread).boxed().toList());
            assertThat(other.events("shop", 1)).extracting(SiteEvent::seq).containsExactly(1L + 4 * perThread);
        }
    }

    @Test
    void twoNodesClaimingOneHostAtOnceLeaveItWithExactlyOneSite() throws Exception {
        try (PostgresStore other = PostgresStore.open(url, dir)) {
            for (int round = 0; round < 5; round++) {
                String host = "h" + round + ".test";
                CountDownLatch go = new CountDownLatch(1);
                List<Callable<String>> work = new ArrayList<>();
                for (Store node : List.of(store, other)) {
                    String name = (node == store ? "a" : "b") + round;
                    work.add(() -> {
                        go.await();
                        try {
                            node.createSite(site(name, host), EventDraft.of("site.create", "t", t0, ""));
                            return "created";
                        } catch (ConflictException e) {
                            return e.code();
                        }
                    });
                }
                assertThat(runTogether(work, go)).containsExactlyInAnyOrder("created", "HOST_TAKEN");
            }
        }
    }

    @Test
    void aNodeWhoseKeyFileDiffersIsRefusedRatherThanMixingTwoKeys() throws Exception {
        Path otherNode = Files.createDirectories(dir.resolve("other-node"));
        SecretBox.loadOrCreate(otherNode); // a key of its own
        assertThatThrownBy(() -> PostgresStore.open(url, otherNode))
                .isInstanceOf(StoreFailure.class)
                .hasMessageContaining("sealed with another key")
                .hasMessageContaining("copy the secret-key file");
        Files.copy(dir.resolve(SecretBox.KEY_FILE), otherNode.resolve(SecretBox.KEY_FILE),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (PostgresStore copied = PostgresStore.open(url, otherNode)) {
            copied.ping();
        }
    }

    @Test
    void theStoreWorksOnAfterTheServerEndedItsConnections() throws Exception {
        store.createSite(site("shop", "shop.localhost"), EventDraft.of("site.create", "t", t0, ""));
        assertThat(Postgres.shared().endConnections(url)).isPositive();
        // The pool drops each dead connection as a call finds it and opens new ones: calls may fail until then.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                store.ping();
                break;
            } catch (StoreFailure e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
        assertThat(store.appendEvent("shop", EventDraft.of("note", "t", t0, "")).seq()).isEqualTo(2);
        assertThat(store.site("shop")).isPresent();
    }

    private static <T> List<T> runTogether(List<Callable<T>> work, CountDownLatch go) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(work.size());
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> w : work) {
                futures.add(pool.submit(w));
            }
            go.countDown();
            List<T> out = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    out.add(f.get(60, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    throw new AssertionError("a node's call failed", e.getCause());
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
