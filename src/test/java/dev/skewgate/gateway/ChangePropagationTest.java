package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.config.StoreSettings;
import dev.skewgate.store.SecretBox;
import dev.skewgate.testing.Await;
import dev.skewgate.testing.Postgres;
import dev.skewgate.testing.SseClient;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateways on one PostgreSQL database (in this JVM, each with its own data directory and blob cache): a change
 * made through either is served by the other after its LISTEN/NOTIFY notice, and the other's tabs are told under the
 * same event number; a lost listening connection is caught up on after it reconnects.
 */
class ChangePropagationTest {

    private static final String HOST = "shop.localhost";
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private String url;
    private TestGateway a;
    private TestGateway b;

    @BeforeEach
    void twoNodes() throws Exception {
        url = Postgres.shared().createDatabase();
        a = node(dir.resolve("a"));
        // Every node of one database shares the key that seals its secrets.
        Files.createDirectories(dir.resolve("b"));
        Files.copy(dir.resolve("a").resolve(SecretBox.KEY_FILE), dir.resolve("b").resolve(SecretBox.KEY_FILE));
        b = node(dir.resolve("b"));
        a.createSite("shop", HOST);
    }

    @AfterEach
    void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    private TestGateway node(Path dataDir) throws Exception {
        return TestGateway.start(dataDir, s -> s.withStore(StoreSettings.postgres(url, StoreSettings.DEFAULT_BLOB_CACHE)));
    }

    private static String page(String version) {
        return "<!doctype html><title>" + version + "</title>";
    }

    private String deploy(TestGateway through, String version) {
        return through.deploy("shop", Map.of("index.html", page(version)));
    }

    private static boolean serves(TestGateway gw, String version) {
        var r = gw.get(HOST, "/");
        return r.statusCode() == 200 && TestGateway.text(r).contains("<title>" + version + "</title>");
    }

    private static void awaitServes(TestGateway gw, String version) throws InterruptedException {
        Await.until("the node serves " + version, WAIT.toMillis(), () -> serves(gw, version));
    }

    private SseClient tab(TestGateway gw, String boot, String... headers) throws Exception {
        SseClient c = SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=" + boot, headers);
        assertThat(c.status()).isEqualTo(200);
        return c;
    }

    @Test
    void activationThroughOneNodeIsServedByTheOtherWithinABoundedWait() throws Exception {
        String one = deploy(a, "one");
        String two = deploy(a, "two");
        a.activate("shop", one);
        awaitServes(b, "one");
        List<Double> millis = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String version = i % 2 == 0 ? "two" : "one";
            a.activate("shop", i % 2 == 0 ? two : one);
            long activated = System.nanoTime();
            long deadline = activated + WAIT.toNanos();
            while (!serves(b, version)) {
                assertThat(System.nanoTime()).as("node B serves activation %d within %s", i, WAIT).isLessThan(deadline);
                Thread.sleep(1);
            }
            millis.add((System.nanoTime() - activated) / 1e6);
        }
        Collections.sort(millis);
        System.out.printf("propagation A -> B over %d activations (from A's answer to B serving): p50 %.1f ms, "
                + "p99 %.1f ms, max %.1f ms%n", millis.size(), millis.get(millis.size() / 2),
                millis.get((int) Math.ceil(millis.size() * 0.99) - 1), millis.get(millis.size() - 1));
    }

    @Test
    void tabsOnBothNodesGetTheSameEventAndAReconnectToEitherNodeGetsWhatItMissed() throws Exception {
        String one = deploy(a, "one");
        a.activate("shop", one);
        awaitServes(b, "one");
        String two = deploy(a, "two");
        String three = deploy(a, "three");
        try (SseClient onA = tab(a, one); SseClient onB = tab(b, one)) {
            onA.next("hello", WAIT);
            onB.next("hello", WAIT);

            a.activate("shop", two);

            SseClient.Event fromA = onA.next("deployment", WAIT);
            SseClient.Event fromB = onB.next("deployment", WAIT);
            assertThat(fromB.id()).isEqualTo(fromA.id());
            assertThat(fromB.data()).isEqualTo(fromA.data());
            assertThat(JSON.readTree(fromB.data()).path("deployment").asText()).isEqualTo(two);
            assertThat(serves(b, "two")).as("told only once it serves the version").isTrue();
            Await.until("the audit event counts the tabs of both nodes", WAIT.toMillis(), () -> {
                JsonNode events = a.ok("GET", "/v1/sites/shop/events", null).body().path("events");
                for (JsonNode e : events) {
                    if (e.path("seq").asText().equals(fromA.id())) {
                        return e.path("notified").asInt() == 2;
                    }
                }
                return false;
            });
            onA.close();

            b.activate("shop", three); // this time through B

            SseClient.Event next = onB.next("deployment", WAIT);
            assertThat(Long.parseLong(next.id())).isEqualTo(Long.parseLong(fromA.id()) + 1);
            awaitServes(a, "three");
            // The tab that was on A reconnects to B, and another to A: each gets the one event it missed.
            for (TestGateway to : List.of(b, a)) {
                try (SseClient back = tab(to, two, "Last-Event-ID: " + fromA.id())) {
                    SseClient.Event missed = back.next(WAIT);
                    assertThat(missed.type()).isEqualTo("deployment");
                    assertThat(missed.id()).isEqualTo(next.id());
                    assertThat(missed.data()).isEqualTo(next.data());
                    assertThat(back.drain()).as("no duplicate, no hello").isEmpty();
                }
            }
            assertThat(onB.drain()).as("B's tab was told each change once").isEmpty();
        }
    }

    @Test
    void configChangeThroughOneNodeReachesTheOthersTabsWithTheSameEventAndIsServedThere() throws Exception {
        String one = deploy(a, "one");
        a.activate("shop", one);
        awaitServes(b, "one");
        try (SseClient onA = tab(a, one); SseClient onB = tab(b, one)) {
            onA.next("hello", WAIT);
            onB.next("hello", WAIT);

            a.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api.example.com"));
            a.ok("PATCH", "/v1/sites/shop/config", Map.of("FEATURE_X", true));

            for (int i = 0; i < 2; i++) {
                SseClient.Event fromA = onA.next("config", WAIT);
                SseClient.Event fromB = onB.next("config", WAIT);
                assertThat(fromB.id()).isEqualTo(fromA.id());
                assertThat(fromB.data()).isEqualTo(fromA.data());
            }
            JsonNode served = JSON.readTree(b.get(HOST, "/_skewgate/config.json").body());
            assertThat(served.path("API_BASE_URL").asText()).isEqualTo("https://api.example.com");
            assertThat(served.path("FEATURE_X").asBoolean()).isTrue();
        }
    }

    /** The state of each deployment of shop as {@code through} answers it. */
    private static Map<String, String> states(TestGateway through) {
        Map<String, String> out = new java.util.HashMap<>();
        for (JsonNode d : through.ok("GET", "/v1/sites/shop/deployments", null).body().path("deployments")) {
            out.put(d.path("id").asText(), d.path("state").asText());
        }
        return out;
    }

    @Test
    void nodesWhoseClocksDifferByAMinuteAgreeOnTheOrderOfChanges() throws Exception {
        b.close();
        // B's clock is a minute behind A's: what it makes is stamped, and its ids sorted, a minute early.
        java.time.Clock behind = java.time.Clock.offset(java.time.Clock.systemUTC(), Duration.ofSeconds(-60));
        b = TestGateway.start(dir.resolve("b"),
                s -> s.withStore(StoreSettings.postgres(url, StoreSettings.DEFAULT_BLOB_CACHE)), behind);
        String one = deploy(a, "one");
        String two = deploy(b, "two"); // made after one, by a clock that says a minute before it
        assertThat(two).as("by the ids' own time, two looks older").isLessThan(one);
        a.activate("shop", one);
        awaitServes(b, "one");
        try (SseClient onA = tab(a, one); SseClient onB = tab(b, one)) {
            onA.next("hello", WAIT);
            onB.next("hello", WAIT);

            b.activate("shop", two); // the newer change, though its clock stamps it before one's activation
            awaitServes(a, "two");
            awaitServes(b, "two");
            SseClient.Event fromA = onA.next("deployment", WAIT);
            assertThat(onB.next("deployment", WAIT).id()).isEqualTo(fromA.id());
            assertThat(JSON.readTree(fromA.data()).path("deployment").asText()).isEqualTo(two);
            for (TestGateway node : List.of(a, b)) {
                assertThat(states(node)).as("both nodes: the last activation is live, the one before previous")
                        .containsEntry(two, "active").containsEntry(one, "previous");
            }

            a.ok("POST", "/v1/sites/shop/rollback", null); // back to the version before, by order, not by time
            awaitServes(b, "one");
            SseClient.Event back = onB.next("deployment", WAIT);
            assertThat(JSON.readTree(back.data()).path("deployment").asText()).isEqualTo(one);
            assertThat(Long.parseLong(back.id())).isEqualTo(Long.parseLong(fromA.id()) + 1);
            assertThat(onA.next("deployment", WAIT).id()).isEqualTo(back.id());
        }
        // Heartbeats are aged by the database's clock: each node counts the other live.
        for (TestGateway node : List.of(a, b)) {
            Await.until("both nodes live as seen by one", WAIT.toMillis(), () -> {
                JsonNode nodes = node.ok("GET", "/v1/nodes", null).body().path("nodes");
                int live = 0;
                for (JsonNode n : nodes) {
                    live += n.path("live").asBoolean() ? 1 : 0;
                }
                return live == 2;
            });
        }
    }

    /** Deployment "one" active and "two" staged, both known to B; returns their ids. */
    private String[] oneLiveTwoStagedOnBoth() throws InterruptedException {
        String one = deploy(a, "one");
        a.activate("shop", one);
        String two = deploy(a, "two");
        awaitServes(b, "one");
        Await.until("B knows the staged deployment", WAIT.toMillis(),
                () -> b.admin("GET", "/v1/deployments/" + two, null).status() == 200);
        return new String[] {one, two};
    }

    /**
     * Ends B's listening connection (backend {@code listening}) and keeps it from reconnecting (nor any new
     * connection to the database) until {@code ALLOW_CONNECTIONS true}; A's pooled connections stay.
     */
    private void cutOffB(Statement st, String db, int listening) throws Exception {
        st.execute("ALTER DATABASE " + db + " WITH ALLOW_CONNECTIONS false");
        try (PreparedStatement end = st.getConnection().prepareStatement("SELECT pg_terminate_backend(?)")) {
            end.setInt(1, listening);
            end.executeQuery().close();
        }
        Await.until("B notices the lost connection", WAIT.toMillis(), () -> b.gateway().changeFeedPid().isEmpty());
    }

    @Test
    void changeMadeWhileTheListeningConnectionIsDownIsCaughtUpOnAfterItReconnects() throws Exception {
        String[] versions = oneLiveTwoStagedOnBoth();
        String one = versions[0];
        String two = versions[1];
        int listening = b.gateway().changeFeedPid().orElseThrow();
        String db = url.substring(url.lastIndexOf('/') + 1);
        try (SseClient onB = tab(b, one); Connection admin = Postgres.shared().connect(url.replace("/" + db, "/postgres"))) {
            onB.next("hello", WAIT);
            try (Statement st = admin.createStatement()) {
                // Keeps B's feed from reconnecting until the change below is committed: its notice is lost for B.
                cutOffB(st, db, listening);
                a.activate("shop", two);
                assertThat(serves(b, "one")).as("B has not heard of it").isTrue();
                st.execute("ALTER DATABASE " + db + " WITH ALLOW_CONNECTIONS true");
            }
            awaitServes(b, "two");
            SseClient.Event told = onB.next("deployment", WAIT);
            assertThat(JSON.readTree(told.data()).path("deployment").asText()).isEqualTo(two);
            assertThat(b.gateway().changeFeedPid()).isPresent().isNotEqualTo(java.util.OptionalInt.of(listening));
        }
    }

    @Test
    void aTabAheadOfALaggingNodeWaitsThereUntilTheNodeCatchesUpAndAnUnknownEventIsRefusedAfterABound() throws Exception {
        String[] versions = oneLiveTwoStagedOnBoth();
        String one = versions[0];
        String two = versions[1];
        int listening = b.gateway().changeFeedPid().orElseThrow();
        String db = url.substring(url.lastIndexOf('/') + 1);
        try (SseClient onA = tab(a, one); Connection admin = Postgres.shared().connect(url.replace("/" + db, "/postgres"));
             Statement st = admin.createStatement()) {
            onA.next("hello", WAIT);
            // B is cut off from the change below until connections are allowed again: it lags behind A.
            cutOffB(st, db, listening);
            a.activate("shop", two);
            String seenOnA = onA.next("deployment", WAIT).id();

            // The tab moves to B (a load balancer's choice) with the event it saw on A, which B does not have yet.
            CompletableFuture<SseClient> moved = CompletableFuture.supplyAsync(() -> {
                try {
                    return SseClient.open(b.edgePort(), HOST, "/_skewgate/events?deployment=" + one,
                            "Last-Event-ID: " + seenOnA);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(300);
            assertThat(moved).as("B holds the stream while it lags (not a 400)").isNotDone();
            assertThat(serves(b, "one")).as("B has not heard of the activation").isTrue();
            st.execute("ALTER DATABASE " + db + " WITH ALLOW_CONNECTIONS true");

            try (SseClient onB = moved.get(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                assertThat(onB.status()).isEqualTo(200);
                assertThat(serves(b, "two")).as("opened once B serves what the tab saw").isTrue();
                a.activate("shop", one);
                SseClient.Event next = onB.next(WAIT);
                assertThat(next.type()).as("no hello, no repeat of the event seen on A").isEqualTo("deployment");
                assertThat(Long.parseLong(next.id())).isEqualTo(Long.parseLong(seenOnA) + 1);
            }
        }

        long asked = System.nanoTime();
        try (SseClient unknown = openStream(b, one, "Last-Event-ID: 999999")) {
            long waited = (System.nanoTime() - asked) / 1_000_000;
            assertThat(unknown.status()).isEqualTo(503);
            assertThat(unknown.head().toLowerCase()).contains("retry-after: 1");
            assertThat(waited).as("bounded wait, ms").isBetween(2_500L, 8_000L);
        }
    }

    private static SseClient openStream(TestGateway gw, String boot, String... headers) throws Exception {
        return SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=" + boot, headers);
    }

    @Test
    void nodesActivatingDifferentDeploymentsAtOnceSerializeAndConverge() throws Exception {
        String one = deploy(a, "one");
        String two = deploy(a, "two");
        a.activate("shop", one);
        Await.until("B knows both deployments", WAIT.toMillis(),
                () -> b.admin("GET", "/v1/deployments/" + two, null).status() == 200);
        for (int round = 0; round < 5; round++) {
            String viaA = round % 2 == 0 ? two : one;
            String viaB = round % 2 == 0 ? one : two;
            CyclicBarrier together = new CyclicBarrier(2);
            CompletableFuture<Integer> fromA = CompletableFuture.supplyAsync(() -> activate(a, viaA, together));
            CompletableFuture<Integer> fromB = CompletableFuture.supplyAsync(() -> activate(b, viaB, together));
            assertThat(List.of(fromA.get(), fromB.get())).as("each wins or is refused as a conflict")
                    .allMatch(s -> s == 200 || s == 409);
            String active = a.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText();
            assertThat(active).isIn(one, two);
            String version = active.equals(one) ? "one" : "two";
            awaitServes(a, version);
            awaitServes(b, version);
            assertThat(b.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText()).isEqualTo(active);
        }
    }

    private static int activate(TestGateway gw, String deployment, CyclicBarrier together) {
        try {
            together.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", deployment)).status();
    }
}
