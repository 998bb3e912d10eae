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
 * node killed with SIGKILL under load costs no failed request, and the survivors see it drop out of the nodes list.
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
        String url = Postgres.shared().createDatabase();
        List<ChildGateway> nodes = new ArrayList<>();
        Process haproxy = null;
        try {
            ChildGateway first = ChildGateway.start(dir.resolve("n1"), dir.resolve("n1.log"), "--store", url);
            nodes.add(first);
            expect(first.post("/v1/sites", Map.of("name", "shop", "hosts", List.of(HOST))), 201);
            String id = deploy(first, PAGE);
            String other = deploy(first, PAGE_2);
            expect(first.post("/v1/sites/shop/activate", Map.of("deployment", id)), 200);
            for (String n : List.of("n2", "n3")) {
                Files.createDirectories(dir.resolve(n));
                Files.copy(dir.resolve("n1").resolve(SecretBox.KEY_FILE), dir.resolve(n).resolve(SecretBox.KEY_FILE));
                nodes.add(ChildGateway.start(dir.resolve(n), dir.resolve(n + ".log"), "--store", url));
            }

            int port = freePort();
            Path cfg = dir.resolve("haproxy.cfg");
            Files.writeString(cfg, config(port, nodes));
            haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("haproxy.log").toFile()).start();
            awaitAllUp(port, nodes.size(), haproxy);

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
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger ok = new AtomicInteger();
            ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
            List<Thread> clients = new ArrayList<>();
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
            Thread.sleep(1_500);
            int before = ok.get();
            nodes.get(1).kill();
            Thread.sleep(3_000);
            stop.set(true);
            for (Thread t : clients) {
                t.join(20_000);
            }
            System.out.printf("multi-node: %d requests ok (%d before the kill), %d failed%n", ok.get(), before,
                    failed.size());
            assertThat(failed).as("requests that failed around the kill").isEmpty();
            assertThat(ok.get()).as("served after the kill too").isGreaterThan(before + 50);

            // The survivors list three nodes, the killed one no longer live once its heartbeat is 15 s old.
            long deadline = System.currentTimeMillis() + 30_000;
            int live;
            do {
                live = 0;
                for (var n : first.get("/v1/nodes").body().path("nodes")) {
                    live += n.path("live").asBoolean() ? 1 : 0;
                }
            } while (live != 2 && System.currentTimeMillis() < deadline && pause());
            assertThat(live).isEqualTo(2);
        } finally {
            if (haproxy != null) {
                haproxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            for (ChildGateway n : nodes) {
                n.close();
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
        Thread.sleep(500);
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
