package dev.skewgate.crash;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.testing.TestGateway;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway process dies or restarts while it runs backends: a kill -9 leaves the instances serving and the next
 * start adopts them (same pids, no second copy); a graceful stop stops them unless {@code --keep-backends}.
 */
class ManagedBackendRestartTest {

    private static final String SERVER = """
            const http = require('http');
            const port = Number(process.env.PORT);
            http.createServer((req, res) => {
              if (req.url === '/api/health') { res.end('ok'); return; }
              res.setHeader('content-type', 'application/json');
              res.end(JSON.stringify({pid: process.pid, deployment: process.env.SKEWGATE_DEPLOYMENT}));
            }).listen(port, '127.0.0.1');
            process.on('SIGTERM', () => process.exit(0));
            """;

    @TempDir
    Path dir;
    private final List<Long> seen = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        for (long leader : seen) { // each instance leads its process group: kill the group, as a crash would
            try {
                new ProcessBuilder("kill", "-9", "--", "-" + leader).start().waitFor();
            } catch (Exception e) {
                // already gone
            }
        }
    }

    @Test
    void afterAKill9TheNextStartAdoptsTheRunningInstancesInsteadOfStartingMore() throws Exception {
        Path data = dir.resolve("data");
        List<Long> before;
        String id;
        try (ChildGateway first = ChildGateway.start(data, dir.resolve("gateway.log"))) {
            id = deployAndActivate(first);
            before = pids(first, id);
            assertThat(before).hasSize(2);
            first.kill();
        }
        assertThat(before).as("a crash of the gateway does not take its backends down").allMatch(p -> alive(p));
        try (ChildGateway second = ChildGateway.start(data, dir.resolve("gateway2.log"))) {
            await("instances listed as ready again", 10_000, () -> ready(second, id) == 2);
            assertThat(pids(second, id)).as(second.logTail()).containsExactlyInAnyOrderElementsOf(before);
            JsonNode answer = ChildGateway.JSON.readTree(second.download("shop.localhost", "/api/whoami").body());
            assertThat(answer.path("deployment").asText()).isEqualTo(id);
            assertThat(nodeProcessesUnder(data)).as("no second copy started").hasSize(2);
        }
    }

    @Test
    void aGracefulStopStopsTheInstancesUnlessAskedToKeepThem() throws Exception {
        Path data = dir.resolve("data");
        String id;
        List<Long> kept;
        try (ChildGateway first = ChildGateway.start(data, dir.resolve("gateway.log"), "--keep-backends")) {
            id = deployAndActivate(first);
            kept = pids(first, id);
            assertThat(first.terminate()).isZero();
        }
        assertThat(kept).allMatch(p -> alive(p));
        List<Long> adopted;
        try (ChildGateway second = ChildGateway.start(data, dir.resolve("gateway2.log"))) {
            await("adopted and ready", 10_000, () -> ready(second, id) == 2);
            adopted = pids(second, id);
            assertThat(adopted).containsExactlyInAnyOrderElementsOf(kept);
            assertThat(second.terminate()).isZero();
        }
        await("a plain graceful stop stops them", 5_000, () -> adopted.stream().noneMatch(p -> alive(p)));
    }

    private String deployAndActivate(ChildGateway gw) throws Exception {
        assertThat(gw.post("/v1/sites", Map.of("name", "shop", "hosts", List.of("shop.localhost"))).status())
                .isEqualTo(201);
        byte[] index = "<p>v1</p>".getBytes(StandardCharsets.UTF_8);
        byte[] server = SERVER.getBytes(StandardCharsets.UTF_8);
        Map<String, Object> backend = new LinkedHashMap<>(Map.of("run", "node server.js", "instances", 2,
                "healthPath", "/api/health", "killTimeout", "2s"));
        backend.put("files", List.of(Map.of("path", "server.js", "sha256", TestGateway.sha256(server),
                "size", server.length, "mode", "file")));
        ChildGateway.Reply created = gw.post("/v1/sites/shop/deployments", Map.of("message", "v1", "backend", backend,
                "files", List.of(Map.of("path", "index.html", "sha256", TestGateway.sha256(index),
                        "size", index.length))));
        assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
        String id = created.body().path("deployment").path("id").asText();
        Map<String, byte[]> bySha = Map.of(TestGateway.sha256(index), index, TestGateway.sha256(server), server);
        for (JsonNode sha : created.body().path("missing")) {
            assertThat(gw.put("/v1/deployments/" + id + "/blobs/" + sha.asText(),
                    HttpRequest.BodyPublishers.ofByteArray(bySha.get(sha.asText()))).status()).isLessThan(300);
        }
        assertThat(gw.post("/v1/deployments/" + id + "/finalize", Map.of()).status()).isLessThan(300);
        ChildGateway.Reply activated = gw.post("/v1/sites/shop/activate", Map.of("deployment", id));
        assertThat(activated.status()).as(activated.body().toString()).isEqualTo(200);
        seen.addAll(pids(gw, id));
        return id;
    }

    private static JsonNode deployment(ChildGateway gw, String id) throws Exception {
        for (JsonNode d : gw.get("/v1/sites/shop/status").body().path("deployments")) {
            if (d.path("id").asText().equals(id)) {
                return d;
            }
        }
        throw new AssertionError("no deployment " + id);
    }

    private static List<Long> pids(ChildGateway gw, String id) throws Exception {
        List<Long> out = new ArrayList<>();
        deployment(gw, id).path("instances").forEach(i -> out.add(i.path("pid").asLong()));
        return out;
    }

    private static int ready(ChildGateway gw, String id) {
        try {
            int n = 0;
            for (JsonNode i : deployment(gw, id).path("instances")) {
                n += i.path("state").asText().equals("ready") ? 1 : 0;
            }
            return n;
        } catch (Exception e) {
            return -1;
        }
    }

    /** The node processes whose working directory is in this data directory: the instances, however many. */
    private static List<Long> nodeProcessesUnder(Path data) {
        List<Long> out = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(p -> {
            try {
                Path cwd = Path.of("/proc", Long.toString(p.pid()), "cwd").toRealPath();
                if (p.info().command().orElse("").endsWith("node") && cwd.startsWith(data.toRealPath())) {
                    out.add(p.pid());
                }
            } catch (Exception e) {
                // gone, or not ours to read
            }
        });
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
            Thread.sleep(50);
        }
    }
}
