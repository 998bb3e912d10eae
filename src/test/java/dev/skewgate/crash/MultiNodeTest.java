package dev.skewgate.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.crash.ChildGateway.Reply;
import dev.skewgate.store.SecretBox;
import dev.skewgate.testing.Postgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "More than one node" setup for real: three gateway processes on one PostgreSQL behind Debian's
 * HAProxy with the example's settings (health checks on the edge readiness endpoint, retry-on for a dead node). A
 * node killed with SIGKILL under load costs no failed request, and the survivors see it drop out of the nodes list;
 * a rolling restart fails none either; PostgreSQL stopped for 30 s under load fails none, keeps the tabs' streams
 * open, and every node catches up once it is back.
 */
class MultiNodeTest {

    private static final String HOST = "shop.localhost";
    private static final byte[] PAGE = "<!doctype html><title>three nodes</title>".getBytes(StandardCharsets.UTF_8);
    private static final byte[] PAGE_2 = "<!doctype html><title>three nodes, v2</title>".getBytes(StandardCharsets.UTF_8);
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void threeNodesBehindHaproxyServeTheSiteAndAKilledNodeCostsNoRequest() throws Exception {
        try (Cluster cluster = new Cluster()) {
            List<ChildGateway> nodes = cluster.nodes;
            int port = cluster.port;
            String id = cluster.one;
            String other = cluster.two;
            for (int i = 0; i < 30; i++) {
                HttpResponse<String> r = get(port);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("three nodes");
                assertThat(r.headers().firstValue("x-skewgate-deployment")).hasValue(id);
            }

            // Activations through any node answer once every node serves them (propagation + one report).
            List<Long> waited = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String target = i % 2 == 0 ? other : id;
                Reply done = expect(nodes.get(i % 3).post("/v1/sites/shop/activate", Map.of("deployment", target)), 200);
                assertThat(done.body().path("nodes").path("lagging")).as(done.body().toString()).isEmpty();
                assertThat(done.body().path("nodes").path("serving")).hasSize(3);
                waited.add(done.body().path("nodes").path("waitedMs").asLong());
                for (int r = 0; r < 6; r++) {
                    assertThat(get(port).headers().firstValue("x-skewgate-deployment")).as("after activation %d", i)
                            .hasValue(target);
                }
            }
            List<Long> sorted = waited.stream().sorted().toList();
            System.out.printf("multi-node: activation served by all 3 nodes after p50 %d ms, max %d ms (20 activations)%n",
                    sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1));

            // Load through HAProxy from four clients; node 2 is killed in the middle of it.
            Load load = new Load(port);
            Thread.sleep(1_500);
            int before = load.ok.get();
            nodes.get(1).kill();
            Thread.sleep(3_000);
            load.stop();
            System.out.printf("multi-node: %d requests ok (%d before the kill), %d failed%n", load.ok.get(), before,
                    load.failed.size());
            assertThat(load.failed).as("requests that failed around the kill").isEmpty();
            assertThat(load.ok.get()).as("served after the kill too").isGreaterThan(before + 50);

            // The survivors list three nodes, the killed one no longer live once its heartbeat is 15 s old.
            long deadline = System.currentTimeMillis() + 30_000;
            int live;
            do {
                live = 0;
                for (var n : nodes.get(0).get("/v1/nodes").body().path("nodes")) {
                    live += n.path("live").asBoolean() ? 1 : 0;
                }
            } while (live != 2 && System.currentTimeMillis() < deadline && pause());
            assertThat(live).isEqualTo(2);
        }
    }

    @Test
    void aRollingRestartOfAllThreeNodesFailsNoRequestAndATabResumesWhatItMissed() throws Exception {
        // --shutdown-delay longer than HAProxy's two failed checks: a stopping node is out of rotation before it closes.
        try (Cluster cluster = new Cluster("--shutdown-delay", "3s")) {
            List<ChildGateway> nodes = cluster.nodes;
            int port = cluster.port;
            String lastSeen;
            try (dev.skewgate.testing.SseClient tab = dev.skewgate.testing.SseClient.open(port, HOST,
                    "/_skewgate/events?deployment=" + cluster.one)) {
                assertThat(tab.status()).isEqualTo(200);
                lastSeen = tab.next("hello", Duration.ofSeconds(10)).id();
            } // the tab goes away here, as a laptop lid closes; it comes back below with Last-Event-ID

            Load load = new Load(port);
            List<String> activated = new ArrayList<>();
            for (int i = 0; i < nodes.size(); i++) {
                assertThat(nodes.get(i).terminate()).as("node %d stops cleanly", i + 1).isZero();
                cluster.restart(i);
                Thread.sleep(2_500); // HAProxy's rise 2 at inter 1s: the node is back in rotation
                // A change while the nodes come and go, through the next node.
                String target = i % 2 == 0 ? cluster.two : cluster.one;
                expect(nodes.get((i + 1) % nodes.size()).post("/v1/sites/shop/activate",
                        Map.of("deployment", target)), 200);
                activated.add(target);
            }
            load.stop();
            System.out.printf("multi-node rolling restart: %d requests ok, %d failed%n", load.ok.get(),
                    load.failed.size());
            assertThat(load.failed).as("requests that failed during the rolling restart").isEmpty();

            try (dev.skewgate.testing.SseClient back = dev.skewgate.testing.SseClient.open(port, HOST,
                    "/_skewgate/events?deployment=" + cluster.one, "Last-Event-ID: " + lastSeen)) {
                assertThat(back.status()).isEqualTo(200);
                // Every node, restarted or not, rebuilt the site's recent notices from the stored events: whichever
                // node HAProxy picks tells the missed events in order (not a fresh hello).
                dev.skewgate.testing.SseClient.Event opening = back.next(Duration.ofSeconds(10));
                assertThat(opening.type()).as("the missed events, not a fresh hello").isEqualTo("deployment");
                List<String> told = new ArrayList<>(List.of(opening.data()));
                for (int i = 1; i < activated.size(); i++) {
                    told.add(back.next("deployment", Duration.ofSeconds(10)).data());
                }
                for (int i = 0; i < activated.size(); i++) {
                    assertThat(told.get(i)).as("missed event %d, in order", i).contains(activated.get(i));
                }
            }
        }
    }

    @Test
    void postgresStoppedForThirtySecondsUnderLoadFailsNoRequestKeepsTheTabsAndEveryNodeCatchesUp() throws Exception {
        Postgres pg = Postgres.startPrivate(); // stopping the shared cluster would stop every other test's
        // --shutdown-delay as in the rolling restart: node 3 is restarted during the outage.
        try (Cluster cluster = new Cluster(pg, "--shutdown-delay", "3s")) {
            List<ChildGateway> nodes = cluster.nodes;
            List<dev.skewgate.testing.SseClient> tabs = new ArrayList<>();
            List<String> hellos = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) { // round robin: one tab on each node
                    dev.skewgate.testing.SseClient tab = dev.skewgate.testing.SseClient.open(Duration.ofSeconds(40),
                            cluster.port, HOST, "/_skewgate/events?deployment=" + cluster.one);
                    assertThat(tab.status()).isEqualTo(200);
                    hellos.add(tab.next("hello", Duration.ofSeconds(10)).id());
                    tabs.add(tab);
                }
                String servedBefore = get(nodes.get(2).edgePort()).body();
                Load load = new Load(cluster.port);
                Thread.sleep(1_000);
                pg.stopServer();
                long stopped = System.nanoTime();
                int atStop = load.ok.get();
                List<java.util.concurrent.CompletableFuture<Reply>> writes = new ArrayList<>();
                for (ChildGateway n : nodes) { // at once: each takes the pool's 5 s connection timeout to fail
                    writes.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return n.post("/v1/sites/shop/activate", Map.of("deployment", cluster.two));
                        } catch (IOException | InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }));
                }
                List<Integer> refused = new ArrayList<>();
                for (var w : writes) {
                    Reply r = w.get(30, TimeUnit.SECONDS);
                    refused.add(r.status());
                    assertThat(r.body().path("error").asText()).as(r.body().toString()).isEqualTo("STORE_UNAVAILABLE");
                }

                // Node 3 restarted while the database is away starts from its last-known-good copy.
                assertThat(nodes.get(2).terminate()).as("node 3 stops cleanly").isZero();
                cluster.restart(2);
                assertThat(Files.readString(dir.resolve("n3.log"))).contains(
                        "database unreachable: serving the last-known-good snapshot from");
                HttpResponse<String> fromCopy = get(nodes.get(2).edgePort());
                assertThat(fromCopy.headers().firstValue("x-skewgate-deployment")).hasValue(cluster.one);
                assertThat(fromCopy.body()).as("what node 3 served before, byte for byte").isEqualTo(servedBefore);
                Reply standing = nodes.get(2).post("/v1/sites/shop/activate", Map.of("deployment", cluster.two));
                assertThat(standing.status()).isEqualTo(503);
                assertThat(standing.body().path("message").asText()).contains("last-known-good");
                // Its tab was ended by the stop and comes back, through HAProxy, as a browser's would.
                int ended = -1;
                for (int i = 0; i < tabs.size(); i++) {
                    if (tabs.get(i).ended()) {
                        assertThat(ended).as("only the stopped node's tab ended").isEqualTo(-1);
                        ended = i;
                    }
                }
                assertThat(ended).as("the stopped node's tab").isNotEqualTo(-1);
                tabs.set(ended, dev.skewgate.testing.SseClient.open(Duration.ofSeconds(40), cluster.port, HOST,
                        "/_skewgate/events?deployment=" + cluster.one, "Last-Event-ID: " + hellos.get(ended)));
                assertThat(tabs.get(ended).status()).isEqualTo(200);
                int restartedTab = ended;
                while (System.nanoTime() - stopped < TimeUnit.SECONDS.toNanos(30)) {
                    Thread.sleep(500);
                }
                int duringOutage = load.ok.get() - atStop;
                pg.startServer();
                long started = System.nanoTime();
                Reply done;
                do {
                    done = nodes.get(0).post("/v1/sites/shop/activate", Map.of("deployment", cluster.two));
                } while (done.status() == 503 && System.nanoTime() - started < TimeUnit.SECONDS.toNanos(15) && pause(100));
                long writableAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                expect(done, 200);
                // A node's feed may be in a 5 s pause between reconnects: it catches up when it next connects.
                for (ChildGateway n : nodes) {
                    long deadline = System.currentTimeMillis() + 10_000;
                    while (!get(n.edgePort()).headers().firstValue("x-skewgate-deployment").equals(
                            java.util.Optional.of(cluster.two)) && System.currentTimeMillis() < deadline) {
                        pause(50);
                    }
                    assertThat(get(n.edgePort()).headers().firstValue("x-skewgate-deployment")).as("node on port %d",
                            n.edgePort()).hasValue(cluster.two);
                }
                long allServeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                for (int i = 0; i < tabs.size(); i++) {
                    dev.skewgate.testing.SseClient tab = tabs.get(i);
                    assertThat(tab.ended()).as("tab %d's stream ended during the outage", i).isFalse();
                    assertThat(tab.next("deployment", Duration.ofSeconds(10)).data())
                            .as(i == restartedTab ? "the reconnected tab" : "the tab's stream, still open")
                            .contains(cluster.two);
                }
                for (int r = 0; r < 9; r++) {
                    assertThat(get(cluster.port).headers().firstValue("x-skewgate-deployment")).hasValue(cluster.two);
                }
                load.stop();
                System.out.printf("multi-node, PostgreSQL stopped for 30 s (node 3 restarted meanwhile): %d requests "
                                + "ok (%d during the outage), %d failed; writes refused with %s; writable again %d ms after its restart, the activation "
                                + "served by all nodes %d ms after it (its answer: %s)%n",
                        load.ok.get(), duringOutage, load.failed.size(), refused, writableAfterMs, allServeMs,
                        done.body().path("nodes"));
                assertThat(load.failed).as("requests that failed while PostgreSQL was stopped").isEmpty();
                assertThat(duringOutage).as("served during the outage").isGreaterThan(1_000);
                assertThat(refused).containsOnly(503);
            } finally {
                for (dev.skewgate.testing.SseClient tab : tabs) {
                    tab.close();
                }
            }
        } finally {
            pg.stopServer();
        }
    }

    /** Three nodes on one database, site shop with two deployments (the first active), HAProxy in front. */
    private final class Cluster implements AutoCloseable {
        final List<ChildGateway> nodes = new ArrayList<>();
        final String[] options;
        Process haproxy;
        int port;
        String one;
        String two;

        Cluster(String... extra) throws Exception {
            this(Postgres.shared(), extra);
        }

        Cluster(Postgres pg, String... extra) throws Exception {
            String url = pg.createDatabase();
            List<String> all = new ArrayList<>(List.of("--store", url));
            all.addAll(List.of(extra));
            options = all.toArray(String[]::new);
            ChildGateway first = ChildGateway.start(dir.resolve("n1"), dir.resolve("n1.log"), options);
            nodes.add(first);
            expect(first.post("/v1/sites", Map.of("name", "shop", "hosts", List.of(HOST))), 201);
            one = deploy(first, PAGE);
            two = deploy(first, PAGE_2);
            expect(first.post("/v1/sites/shop/activate", Map.of("deployment", one)), 200);
            for (String n : List.of("n2", "n3")) {
                Files.createDirectories(dir.resolve(n));
                Files.copy(dir.resolve("n1").resolve(SecretBox.KEY_FILE), dir.resolve(n).resolve(SecretBox.KEY_FILE));
                nodes.add(ChildGateway.start(dir.resolve(n), dir.resolve(n + ".log"), options));
            }
            port = freePort();
            Path cfg = dir.resolve("haproxy.cfg");
            Files.writeString(cfg, config(port, nodes));
            haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
            awaitAllUp(port, nodes.size(), haproxy);
        }

        /** Node {@code i} (0-based) started again on its data dir and ports, after it exited. */
        void restart(int i) throws Exception {
            String n = "n" + (i + 1);
            nodes.set(i, nodes.get(i).restart(dir.resolve(n), dir.resolve(n + ".log"), options));
        }

        @Override
        public void close() throws Exception {
            if (haproxy != null) {
                haproxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            for (ChildGateway n : nodes) {
                n.close();
            }
        }
    }

    /** Four clients getting the page through HAProxy in a loop, counting what succeeded and what did not. */
    private static final class Load {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger ok = new AtomicInteger();
        final ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        private final List<Thread> clients = new ArrayList<>();

        Load(int port) {
            for (int c = 0; c < 4; c++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            HttpResponse<String> r = get(port);
                            if (r.statusCode() == 200 && r.body().contains("three nodes")) {
                                ok.incrementAndGet();
                            } else {
                                failed.add(r.statusCode() + " " + r.body());
                            }
                        } catch (IOException e) {
                            failed.add(e.toString());
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                t.start();
                clients.add(t);
            }
        }

        void stop() throws InterruptedException {
            stop.set(true);
            for (Thread t : clients) {
                t.join(20_000);
            }
        }
    }

    private static String deploy(ChildGateway gw, byte[] page) throws Exception {
        Reply begun = expect(gw.post("/v1/sites/shop/deployments", Map.of("files",
                List.of(Map.of("path", "index.html", "sha256", sha256(page), "size", page.length)))), 201);
        String id = begun.body().path("deployment").path("id").asText();
        expect(gw.put("/v1/deployments/" + id + "/blobs/" + sha256(page), HttpRequest.BodyPublishers.ofByteArray(page)),
                201);
        expect(gw.post("/v1/deployments/" + id + "/finalize", Map.of()), 200);
        return id;
    }

    private static String config(int port, List<ChildGateway> nodes) throws IOException {
        // The example's file with the test's addresses: what the README shows is what runs here.
        String example = Files.readString(Path.of("examples/multi-node/haproxy.cfg"));
        String servers = "";
        for (int i = 0; i < nodes.size(); i++) {
            servers += "    server node" + (i + 1) + " 127.0.0.1:" + nodes.get(i).edgePort() + " check\n";
        }
        String cfg = example.replace("    bind :80\n", "    bind 127.0.0.1:" + port + "\n")
                .replaceAll("(?m)^    server node\\d .*\\n", "");
        assertThat(cfg).contains("bind 127.0.0.1:" + port).doesNotContain("10.0.0.");
        return cfg + servers;
    }

    private static void awaitAllUp(int port, int count, Process haproxy) throws Exception {
        // Every node has passed two checks (rise 2, inter 1s) once each answers through HAProxy in turn.
        long deadline = System.currentTimeMillis() + 20_000;
        while (System.currentTimeMillis() < deadline) {
            assertThat(haproxy.isAlive()).as("haproxy runs").isTrue();
            try {
                if (get(port).statusCode() == 200) {
                    Thread.sleep(3_000); // two more check intervals: the other servers are up too
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("haproxy never answered on port " + port);
    }

    private static HttpResponse<String> get(int port) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).header("Host", HOST)
                .header("Accept", "text/html").timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Reply expect(Reply reply, int status) {
        assertThat(reply.status()).as(reply.body().toString()).isEqualTo(status);
        return reply;
    }

    private static boolean pause() throws InterruptedException {
        return pause(500);
    }

    private static boolean pause(long millis) throws InterruptedException {
        Thread.sleep(millis);
        return true;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
