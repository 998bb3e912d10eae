package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backends the gateway runs itself, with real Node processes: each version's tabs reach that version's own processes,
 * a crashed instance is replaced without failing requests that were not on it, retiring stops every process, a failed
 * release command refuses the switch, idle versions sleep and wake, and secrets never show in an answer.
 */
class ManagedBackendTest {

    /** A small API: its deployment, pid and port; a slow path; a crash on demand; the length of its secret. */
    static final String SERVER = """
            const http = require('http');
            const port = Number(process.env.PORT);
            let inflight = 0;
            http.createServer((req, res) => {
              if (req.url === '/api/health') { res.end('ok'); return; }
              if (req.url === '/api/crash') { process.exit(3); }
              if (req.url === '/api/slow') { setTimeout(() => res.end('slow'), 400); return; }
              res.setHeader('content-type', 'application/json');
              res.end(JSON.stringify({deployment: process.env.SKEWGATE_DEPLOYMENT, site: process.env.SKEWGATE_SITE,
                pid: process.pid, port, secretLength: (process.env.SECRET || '').length,
                own: process.env.OWN || null, version: require('./version.json').v}));
            }).listen(port, '127.0.0.1', () => console.log('listening on ' + port));
            process.on('SIGTERM', () => { console.log('SIGTERM'); process.exit(0); });
            """;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Map<String, Object>> FRONT = List.of(Map.of("path", "index.html", "sha256",
            TestGateway.sha256("x".getBytes(java.nio.charset.StandardCharsets.UTF_8)), "size", 1));
    private static final String SECRET = "postgres://app:sup3r-s3cret-VALUE@db:5432/app";

    @TempDir
    Path dir;
    TestGateway gw;

    @BeforeEach
    void start() throws IOException {
        gw = TestGateway.start(dir.resolve("data"));
        gw.createSite("shop", "shop.localhost");
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessProbes", 1, "synthetic", false)));
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    private String deploy(String version, Map<String, Object> extra) {
        Map<String, Object> settings = new LinkedHashMap<>(Map.of("run", "node server.js", "instances", 2,
                "healthPath", "/api/health", "killTimeout", "2s"));
        settings.putAll(extra);
        return gw.deployManaged("shop", Map.of("index.html", "<p>" + version + "</p>"),
                Map.of("server.js", SERVER, "version.json", "{\"v\":\"" + version + "\"}"), settings);
    }

    private JsonNode api(String path, String... headers) throws IOException {
        HttpResponse<byte[]> r = gw.get("shop.localhost", path, headers);
        assertThat(r.statusCode()).as(TestGateway.text(r)).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private JsonNode instancesOf(String deployment) {
        for (JsonNode d : gw.ok("GET", "/v1/sites/shop/status", null).body().path("deployments")) {
            if (d.path("id").asText().equals(deployment)) {
                return d;
            }
        }
        throw new AssertionError("no deployment " + deployment + " in the status");
    }

    private static List<Long> pids(JsonNode status) {
        List<Long> out = new ArrayList<>();
        status.path("instances").forEach(i -> out.add(i.path("pid").asLong()));
        return out;
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within " + millis + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static boolean portFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void eachVersionsPinnedTabsReachItsOwnProcesses() throws Exception {
        String v1 = deploy("v1", Map.of());
        gw.activate("shop", v1);
        String v2 = deploy("v2", Map.of());
        gw.activate("shop", v2);

        assertThat(api("/api/whoami").path("deployment").asText()).isEqualTo(v2);
        JsonNode byHeader = api("/api/whoami", "X-Skewgate-Deployment", v1);
        JsonNode byQuery = api("/api/whoami?_skewgate=" + v1);
        JsonNode byCookie = api("/api/whoami", "Cookie", "skewgate_dpl=" + v1);
        for (JsonNode old : List.of(byHeader, byQuery, byCookie)) {
            assertThat(old.path("deployment").asText()).isEqualTo(v1);
            assertThat(old.path("version").asText()).isEqualTo("v1");
            long node = old.path("pid").asLong(); // the program; the status shows its process group's leader
            long leader = ProcessHandle.of(node).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L);
            assertThat(pids(instancesOf(v1))).containsAnyOf(node, leader);
        }
        assertThat(pids(instancesOf(v2))).doesNotContainAnyElementsOf(pids(instancesOf(v1)));
        assertThat(instancesOf(v1).path("instances")).hasSize(2);
        assertThat(instancesOf(v2).path("backendState").asText()).isEqualTo("running");
        assertThat(api("/api/whoami").path("site").asText()).isEqualTo("shop");
    }

    @Test
    void retiringStopsEveryProcessWithinTheKillTimeoutAndFreesItsPorts() throws Exception {
        String v1 = deploy("v1", Map.of());
        gw.activate("shop", v1);
        String v2 = deploy("v2", Map.of());
        gw.activate("shop", v2);
        JsonNode before = instancesOf(v1);
        List<Long> pids = pids(before);
        List<Integer> ports = new ArrayList<>();
        before.path("instances").forEach(i -> ports.add(i.path("port").asInt()));
        assertThat(pids).hasSize(2).allMatch(ManagedBackendTest::alive);

        long t0 = System.currentTimeMillis();
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
        assertThat(gw.get("shop.localhost", "/api/whoami", "X-Skewgate-Deployment", v1).statusCode()).isEqualTo(410);
        await("every process of the retired version gone", 3_000, () -> pids.stream().noneMatch(ManagedBackendTest::alive));
        long took = System.currentTimeMillis() - t0;
        assertThat(took).as("kill timeout 2 s + 1 s").isLessThan(3_000);
        await("its ports free", 1_000, () -> ports.stream().allMatch(ManagedBackendTest::portFree));
        // the status lists them as draining until the stop has seen every process exit
        await("the status lists no instance of it", 1_000, () -> instancesOf(v1).path("instances").isEmpty());
        assertThat(api("/api/whoami").path("deployment").asText()).isEqualTo(v2);
    }

    @Test
    void aFailedReleaseCommandRefusesTheActivationAndTheLiveVersionKeepsServing() throws Exception {
        String v1 = deploy("v1", Map.of("release", "node -e \"console.log('migrating'); process.exit(0)\""));
        gw.activate("shop", v1);
        String v2 = gw.deployManaged("shop", Map.of("index.html", "v2"), Map.of("server.js", SERVER,
                "version.json", "{\"v\":\"v2\"}", "migrate.js", "console.log('step 1 ok');\n"
                        + "console.error('ERROR: column \"email\" already exists');\nprocess.exit(3);\n"),
                Map.of("run", "node server.js", "healthPath", "/api/health", "release", "node migrate.js"));

        Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("RELEASE_FAILED");
        String message = refused.body().path("message").asText();
        assertThat(message).contains("exited with status 3").contains("column \"email\" already exists")
                .contains(v1 + " stays live");
        assertThat(api("/api/whoami").path("deployment").asText()).isEqualTo(v1);
        assertThat(instancesOf(v2).path("instances")).isEmpty();
    }

    @Test
    void anInstanceThatNeverListensOnPortFailsTheActivationWithItsLogTail() throws Exception {
        String v1 = gw.deployManaged("shop", Map.of("index.html", "v1"), Map.of("server.js",
                        "console.log('starting on 3000');\nrequire('http').createServer((q, s) => s.end('x'))"
                                + ".listen(0, '127.0.0.1');\n"),
                Map.of("run", "node server.js", "healthPath", "/api/health"));
        // The readiness timeout stays at its 30 s: a wrong port is seen long before it
        long t0 = System.currentTimeMillis();
        Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v1));
        long took = System.currentTimeMillis() - t0;
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("BACKEND_NOT_READY");
        assertThat(refused.body().path("message").asText()).contains("not on PORT=").contains("starting on 3000");
        assertThat(took).as("refused soon after the 2 s grace, not at the 30 s timeout").isLessThan(8_000);
    }

    @Test
    void aHealthPathThatAnswers404FailsAtOnceWithAHint() throws Exception {
        String v1 = gw.deployManaged("shop", Map.of("index.html", "v1"), Map.of("server.js",
                        "require('http').createServer((q, s) => { s.statusCode = q.url === '/api/health' ? 200 : 404;"
                                + " s.end(); }).listen(Number(process.env.PORT), '127.0.0.1');\n"),
                Map.of("run", "node server.js", "healthPath", "/healthz"));
        long t0 = System.currentTimeMillis();
        Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v1));
        long took = System.currentTimeMillis() - t0;
        assertThat(refused.error()).isEqualTo("BACKEND_NOT_READY");
        String message = refused.body().path("message").asText();
        assertThat(message).contains("answered GET /healthz", "with HTTP 404 3 times in a row", "--health")
                .endsWith("; nothing was activated");
        assertThat(took).isLessThan(8_000);
    }

    @Test
    void instancesThatStartOverTheirMemoryBoundAreReplacedThreeTimesThenReportedNotChurned() throws Exception {
        String v1 = deploy("v1", Map.of("instances", 1, "maxMemory", "16M")); // node starts at ~40 MiB
        gw.activate("shop", v1);
        await("the backend reported failing", 30_000, () -> instancesOf(v1).path("backendState").asText()
                .equals("failing"));
        JsonNode alert = null;
        for (JsonNode a : gw.ok("GET", "/v1/sites/shop/status", null).body().path("alerts")) {
            if (a.path("kind").asText().equals("BACKEND_FAILING")) {
                alert = a;
            }
        }
        assertThat(alert).isNotNull();
        assertThat(alert.path("message").asText()).contains("--max-memory 16 MiB", "3 replacements");
        List<Long> now = pids(instancesOf(v1));
        Thread.sleep(2_500);
        assertThat(pids(instancesOf(v1))).as("no more replacements").isEqualTo(now);
        assertThat(api("/api/whoami").path("version").asText()).as("it still serves").isEqualTo("v1");
    }

    @Test
    void aCommandThatIsNotInstalledIsRefusedAtDeploy() {
        Map<String, Object> body = Map.of("files", FRONT, "backend", Map.of("run", "no-such-runtime-xyz app.js",
                "files", List.of(Map.of("path", "app.js", "sha256", "0".repeat(64), "size", 1))));
        Answer refused = gw.admin("POST", "/v1/sites/shop/deployments", body);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error()).isEqualTo("COMMAND_NOT_FOUND");
        assertThat(refused.body().path("message").asText()).contains("no-such-runtime-xyz");
    }

    @Test
    void aLinkOutsideTheBackendFolderIsRefusedAtDeploy() {
        Map<String, Object> body = Map.of("files", FRONT, "backend", Map.of("run", "node app.js",
                "files", List.of(Map.of("path", "node_modules/.bin/evil", "link", "../../../etc/passwd"))));
        Answer refused = gw.admin("POST", "/v1/sites/shop/deployments", body);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error()).isEqualTo("LINK_OUTSIDE");
    }

    @Test
    void secretsReachTheBackendButNeverAnAnswer() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop/env", Map.of("set", Map.of("SECRET", SECRET)));
        String v1 = deploy("v1", Map.of("env", Map.of("OWN", "deployment-only-VALUE")));
        gw.activate("shop", v1);
        JsonNode seen = api("/api/whoami");
        assertThat(seen.path("secretLength").asInt()).isEqualTo(SECRET.length());
        assertThat(seen.path("own").asText()).isEqualTo("deployment-only-VALUE");
        for (String path : List.of("/v1/sites/shop/status", "/v1/deployments/" + v1, "/v1/sites/shop",
                "/v1/sites/shop/env", "/v1/sites/shop/deployments")) {
            String answer = gw.ok("GET", path, null).body().toString();
            assertThat(answer).doesNotContain(SECRET).doesNotContain("deployment-only-VALUE");
        }
        assertThat(gw.ok("GET", "/v1/deployments/" + v1, null).body().path("backend").path("envKeys"))
                .extracting(JsonNode::asText).containsExactly("OWN");
        try (Stream<Path> files = Files.walk(dir.resolve("data"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(f, java.nio.charset.StandardCharsets.ISO_8859_1)).as(f.toString())
                        .doesNotContain(SECRET).doesNotContain("deployment-only-VALUE");
            }
        }
    }

    @Test
    void anEnvChangeReachesTheBackendOnlyWithARollingRestartThatFailsNoRequest() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop/env", Map.of("set", Map.of("SECRET", "one")));
        String v1 = deploy("v1", Map.of());
        gw.activate("shop", v1);
        List<Long> before = pids(instancesOf(v1));
        gw.ok("PATCH", "/v1/sites/shop/env", Map.of("set", Map.of("SECRET", "three")));
        assertThat(api("/api/whoami").path("secretLength").asInt()).as("not under a running process").isEqualTo(3);

        Load load = new Load(gw);
        Thread.sleep(200);
        gw.ok("POST", "/v1/deployments/" + v1 + "/restart", Map.of());
        Thread.sleep(200);
        load.stop();
        System.out.println("rolling restart under load: " + load.ok + " requests ok, failures " + load.failures);
        assertThat(load.failures).isEmpty();
        assertThat(load.ok.get()).isPositive();
        assertThat(api("/api/whoami").path("secretLength").asInt()).isEqualTo(5);
        assertThat(pids(instancesOf(v1))).hasSize(2).doesNotContainAnyElementsOf(before);
        assertThat(before).noneMatch(ManagedBackendTest::alive);
    }

    @Test
    void killingOneOfTwoInstancesFailsNoRequestThatWasNotOnItAndItIsBackWithinTwoSeconds() throws Exception {
        String v1 = deploy("v1", Map.of());
        gw.activate("shop", v1);
        JsonNode before = instancesOf(v1);
        long victim = before.path("instances").get(0).path("pid").asLong();
        int victimPort = before.path("instances").get(0).path("port").asInt();

        Load load = new Load(gw);
        Thread.sleep(300);
        long killedAt = System.currentTimeMillis();
        new ProcessBuilder("kill", "-9", "--", "-" + victim).start().waitFor(); // its whole group, as a crash would
        await("instance 1 restarted and ready", 2_000, () -> {
            JsonNode i = instancesOf(v1).path("instances").get(0);
            return i.path("state").asText().equals("ready") && i.path("pid").asLong() != victim;
        });
        long back = System.currentTimeMillis() - killedAt;
        Thread.sleep(300);
        load.stop();
        System.out.println("kill -9 of one of two instances: back in " + back + " ms, " + load.ok + " requests ok, "
                + "failures " + load.failures);
        assertThat(load.failures).as("only requests in flight on the killed instance may fail (none here: whoami answers "
                + "at once)").isEmpty();
        assertThat(instancesOf(v1).path("instances").get(0).path("port").asInt()).isEqualTo(victimPort);
        assertThat(instancesOf(v1).path("instances").get(0).path("restarts").asInt()).isEqualTo(1);
    }

    @Test
    void fiftySwitchesBetweenTwoManagedVersionsUnderLoadFailNoRequest() throws Exception {
        String v1 = deploy("v1", Map.of());
        gw.activate("shop", v1);
        String v2 = deploy("v2", Map.of());
        gw.activate("shop", v2);
        Load load = new Load(gw);
        for (int i = 0; i < 25; i++) {
            gw.ok("POST", "/v1/sites/shop/rollback", Map.of());
            gw.activate("shop", v2);
        }
        load.stop();
        System.out.println("50 switches between managed versions under load: " + load.ok + " requests ok, failures "
                + load.failures);
        assertThat(load.failures).isEmpty();
        assertThat(load.seen).contains(v1, v2);
        assertThat(pids(instancesOf(v1))).hasSize(2).allMatch(ManagedBackendTest::alive);
    }

    @Test
    void aPreviewOfAStagedVersionStartsItsBackendButNeverItsReleaseCommand() throws Exception {
        String v1 = deploy("v1", Map.of("instances", 1));
        gw.activate("shop", v1);
        String preview = deploy("preview", Map.of("instances", 1));
        assertThat(api("/api/whoami", "X-Skewgate-Deployment", preview).path("version").asText())
                .as("a pinned request starts a staged version").isEqualTo("preview");

        Path marker = dir.resolve("migrated");
        String migrating = deploy("migrating", Map.of("instances", 1, "release", "touch '" + marker + "'"));
        HttpResponse<byte[]> r = gw.get("shop.localhost", "/api/whoami", "X-Skewgate-Deployment", migrating);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(TestGateway.text(r)).contains("BACKEND_UNAVAILABLE", "release command has not run");
        assertThat(marker).as("a preview request ran no migration").doesNotExist();
        gw.activate("shop", migrating);
        assertThat(marker).exists();
        assertThat(api("/api/whoami").path("version").asText()).isEqualTo("migrating");
    }

    @Test
    void anIdleVersionSleepsAndItsNextPinnedRequestWakesIt() throws Exception {
        String v1 = deploy("v1", Map.of("idleStop", "10s", "instances", 1));
        gw.activate("shop", v1);
        String v2 = deploy("v2", Map.of("instances", 1));
        gw.activate("shop", v2);
        List<Long> old = pids(instancesOf(v1));
        await("v1 asleep after 10 s idle", 20_000, () -> instancesOf(v1).path("backendState").asText().equals("sleeping"));
        assertThat(old).noneMatch(ManagedBackendTest::alive);

        long t0 = System.nanoTime();
        JsonNode woke = api("/api/whoami", "X-Skewgate-Deployment", v1);
        long coldMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("cold start of a sleeping Node backend on its next pinned request: " + coldMs + " ms");
        assertThat(woke.path("deployment").asText()).isEqualTo(v1);
        assertThat(instancesOf(v1).path("backendState").asText()).isEqualTo("running");
        assertThat(instancesOf(v2).path("backendState").asText()).as("the active one never sleeps").isEqualTo("running");
    }

    @Test
    void aGracefulRestartWithKeepBackendsAdoptsEveryInstanceExactlyOnce() throws Exception {
        gw.close();
        gw = TestGateway.start(dir.resolve("data"), s -> s.withKeepBackends(true));
        String v1 = deploy("v1", Map.of());
        gw.activate("shop", v1);
        List<Long> before = pids(instancesOf(v1));
        gw.restart();
        await("instances adopted", 5_000, () -> instancesOf(v1).path("instances").size() == 2
                && instancesOf(v1).path("backendState").asText().equals("running"));
        assertThat(pids(instancesOf(v1))).containsExactlyInAnyOrderElementsOf(before);
        assertThat(api("/api/whoami").path("deployment").asText()).isEqualTo(v1);
        gw.close();
        gw = TestGateway.start(dir.resolve("data")); // without keep: a stop leaves nothing running
        gw.close();
        assertThat(before).noneMatch(ManagedBackendTest::alive);
        gw = TestGateway.start(dir.resolve("data"));
    }

    /** Four threads asking the site's API without pause until stopped: what answered, and how each failure read. */
    private static final class Load {
        final AtomicInteger ok = new AtomicInteger();
        final Map<String, Integer> failures = new ConcurrentHashMap<>();
        final Set<String> seen = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<Thread> threads = new ArrayList<>();

        Load(TestGateway gw) {
            for (int t = 0; t < 4; t++) {
                Thread th = new Thread(() -> {
                    while (running.get()) {
                        HttpResponse<byte[]> r = gw.get("shop.localhost", "/api/whoami");
                        if (r.statusCode() == 200) {
                            ok.incrementAndGet();
                            seen.add(r.headers().firstValue("x-skewgate-deployment").orElse("?"));
                        } else {
                            failures.merge(r.statusCode() + " " + TestGateway.text(r), 1, Integer::sum);
                        }
                    }
                });
                th.start();
                threads.add(th);
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread th : threads) {
                th.join();
            }
        }
    }
}
