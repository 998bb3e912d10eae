package dev.skewgate.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Changes to different sites never wait on each other, changes to one site stay ordered and consistent, and a change
 * whose snapshot cannot be built leaves everything as it was. Through the admin API of a real gateway.
 */
class PerSiteChangesTest {

    @TempDir
    Path dir;
    TestGateway gw;
    TestBackend slow;
    final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void start() throws Exception {
        gw = TestGateway.start(dir.resolve("data"));
        slow = TestBackend.start("slow-api");
    }

    @AfterEach
    void stop() throws Exception {
        pool.shutdownNow();
        gw.close();
        slow.close();
    }

    private static Map<String, String> page(String version) {
        return Map.of("index.html", "<html><head></head><body>" + version + "</body></html>",
                "assets/app-" + version + "1a2b.js", "console.log('" + version + "')");
    }

    private String active(String site) {
        return gw.ok("GET", "/v1/sites/" + site, null).body().path("activeDeployment").asText();
    }

    private static Duration timed(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** A GET on a connection of its own (a new client, so no pooled connection is reused). */
    private void freshConnectionGet(String path) {
        // Java 17's HttpClient cannot be closed; its idle connection ends with the gateway.
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        try {
            java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(gw.adminUrl() + path)).header("Authorization", "Bearer " + gw.token())
                    .timeout(Duration.ofSeconds(30)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits (with a deadline) until the site's activation reports it is running its checks. */
    private void awaitChecksRunning(String site) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!gw.ok("GET", "/v1/sites/" + site + "/activation", null).body().path("running").asBoolean()) {
            assertThat(System.nanoTime()).as("the activation of " + site + " started its checks").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void whileOneSiteWaitsForASlowBackendAnotherSiteRollsBackActivatesAndChangesConfigInUnderASecond() throws Exception {
        gw.createSite("a", "a.localhost");
        gw.createSite("b", "b.localhost");
        gw.ok("PATCH", "/v1/sites/a", Map.of("checks", Map.of("readinessProbes", 1, "readinessTimeout", "12s")));
        String a1 = gw.deploy("a", page("a1"));
        gw.activate("a", a1);
        String b1 = gw.deploy("b", page("b1"));
        String b2 = gw.deploy("b", page("b2"));
        gw.activate("b", b1);
        gw.activate("b", b2);

        slow.healthDelayMs = 10_000;
        String a2 = gw.deployWithBackend("a", page("a2"), slow.url());
        CompletableFuture<Answer> activationOfA = CompletableFuture.supplyAsync(
                () -> gw.admin("POST", "/v1/sites/a/activate", Map.of("deployment", a2)), pool);
        awaitChecksRunning("a");

        // Every CLI command opens a new connection, and the admin listener spreads connections over its instances:
        // none of them may be the one held by a's activation.
        for (int i = 0; i < 8; i++) {
            Duration read = timed(() -> freshConnectionGet("/v1/sites/b"));
            assertThat(read).as("GET of site b on new connection " + i).isLessThan(Duration.ofSeconds(1));
        }
        Duration rollback = timed(() -> gw.ok("POST", "/v1/sites/b/rollback", Map.of()));
        Duration activate = timed(() -> gw.activate("b", b2));
        Duration config = timed(() -> gw.ok("PUT", "/v1/sites/b/config", Map.of("apiUrl", "https://api.example.com")));

        System.out.printf("while site a waited for its backend: site b rollback %d ms, activate %d ms, config set %d ms%n",
                rollback.toMillis(), activate.toMillis(), config.toMillis());
        assertThat(rollback).as("rollback of b").isLessThan(Duration.ofSeconds(1));
        assertThat(activate).as("activate on b").isLessThan(Duration.ofSeconds(1));
        assertThat(config).as("config set on b").isLessThan(Duration.ofSeconds(1));
        assertThat(gw.ok("GET", "/v1/sites/a/activation", null).body().path("running").asBoolean())
                .as("site a's activation was still waiting for its backend all along").isTrue();
        assertThat(activationOfA).isNotDone();
        assertThat(active("b")).isEqualTo(b2);
        assertThat(TestGateway.text(gw.get("b.localhost", "/_skewgate/config.json"))).contains("api.example.com");

        Answer a = activationOfA.get(30, TimeUnit.SECONDS);
        assertThat(a.status()).as(a.body().toString()).isIn(200, 409);
    }

    @Test
    void aChangeToTheSameSiteWhileTheChecksRunRefusesTheActivationAndKeepsTheChange() throws Exception {
        gw.createSite("a", "a.localhost");
        gw.ok("PATCH", "/v1/sites/a", Map.of("checks", Map.of("readinessProbes", 1, "readinessTimeout", "10s")));
        String a1 = gw.deploy("a", page("a1"));
        gw.activate("a", a1);
        slow.healthDelayMs = 1_500;
        String a2 = gw.deployWithBackend("a", page("a2"), slow.url());
        CompletableFuture<Answer> activation = CompletableFuture.supplyAsync(
                () -> gw.admin("POST", "/v1/sites/a/activate", Map.of("deployment", a2)), pool);
        awaitChecksRunning("a");

        gw.ok("PUT", "/v1/sites/a/config", Map.of("flag", true));

        Answer refused = activation.get(30, TimeUnit.SECONDS);
        assertThat(refused.status()).as(refused.body().toString()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("CHANGED_DURING_CHECKS");
        assertThat(refused.body().path("message").asText())
                .contains("site 'a' changed while the checks of " + a2 + " ran", "config", a1 + " stays live");
        assertThat(active("a")).as("nothing was switched blindly").isEqualTo(a1);
        assertThat(gw.ok("GET", "/v1/sites/a/config", null).body().path("config").path("flag").asBoolean())
                .as("the concurrent change is kept").isTrue();
        List<String> types = new ArrayList<>();
        gw.ok("GET", "/v1/sites/a/events", null).body().path("events").forEach(e -> types.add(e.path("type").asText()));
        assertThat(types.get(0)).isEqualTo("config");

        // Asked again, with nothing changing meanwhile, it goes through.
        assertThat(gw.admin("POST", "/v1/sites/a/activate", Map.of("deployment", a2)).status()).isEqualTo(200);
        assertThat(active("a")).isEqualTo(a2);
    }

    @Test
    void twentyParallelActivationsOfOneSiteEndConsistentWithAGapFreeLog() throws Exception {
        gw.createSite("shop", "shop.localhost");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(gw.deploy("shop", page("v" + i)));
        }
        for (boolean synthetic : new boolean[] {false, true}) {
            gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("synthetic", synthetic)));
            List<CompletableFuture<Answer>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String id = ids.get(i % ids.size());
                calls.add(CompletableFuture.supplyAsync(
                        () -> gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", id)), pool));
            }
            int switched = 0;
            for (CompletableFuture<Answer> call : calls) {
                Answer a = call.get(60, TimeUnit.SECONDS);
                if (synthetic) {
                    assertThat(a.status()).as(a.body().toString()).isIn(200, 409);
                    if (a.status() == 409) {
                        assertThat(a.error()).isEqualTo("CHANGED_DURING_CHECKS");
                    }
                } else {
                    assertThat(a.status()).as("without checks each activation simply takes its turn: " + a.body())
                            .isEqualTo(200);
                }
                if (a.status() == 200 && a.body().path("changed").asBoolean()) {
                    switched++;
                }
            }
            assertThat(switched).isPositive();

            JsonNode events = gw.ok("GET", "/v1/sites/shop/events?limit=1000", null).body().path("events");
            long expected = events.get(0).path("seq").asLong();
            String lastSwitch = null;
            for (JsonNode e : events) {
                assertThat(e.path("seq").asLong()).as("the event log has no gap").isEqualTo(expected--);
                if (lastSwitch == null && e.path("type").asText().equals("activate")) {
                    lastSwitch = e.path("deployment").asText();
                }
            }
            assertThat(expected).isZero();
            String active = active("shop");
            assertThat(active).as("the newest activation event names what is live").isEqualTo(lastSwitch);
            JsonNode deployments = gw.ok("GET", "/v1/sites/shop/deployments", null).body().path("deployments");
            long actives = Stream.iterate(0, i -> i + 1).limit(deployments.size())
                    .filter(i -> deployments.get(i).path("state").asText().equals("active")).count();
            assertThat(actives).as("exactly one deployment is active").isEqualTo(1);
            assertThat(gw.get("shop.localhost", "/").headers().firstValue("x-skewgate-deployment")).hasValue(active);
        }
    }

    @Test
    void aPatchWithoutIfMatchIsNeverStaleWhateverElseChangesTheSiteMeanwhile() throws Exception {
        gw.createSite("shop", "shop.localhost");
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("synthetic", false)));
        List<String> ids = List.of(gw.deploy("shop", page("v1")), gw.deploy("shop", page("v2")));
        List<CompletableFuture<Answer>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String id = ids.get(i % 2);
            int keep = 2 + i;
            calls.add(CompletableFuture.supplyAsync(
                    () -> gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", id)), pool));
            calls.add(CompletableFuture.supplyAsync(
                    () -> gw.admin("PATCH", "/v1/sites/shop", Map.of("retention", Map.of("keepPrevious", keep))), pool));
        }
        for (CompletableFuture<Answer> call : calls) {
            Answer a = call.get(60, TimeUnit.SECONDS);
            assertThat(a.status()).as("the patch applies to the site as it is when its turn comes: " + a.body())
                    .isEqualTo(200);
        }
    }

    @Test
    void aChangeWhoseSnapshotCannotBeBuiltIsRefusedAndChangesNothing() throws Exception {
        gw.createSite("shop", "shop.localhost");
        String v1 = gw.deploy("shop", page("v1"));
        gw.activate("shop", v1);
        gw.ok("PUT", "/v1/sites/shop/config", Map.of("flag", "before"));
        JsonNode eventsBefore = gw.ok("GET", "/v1/sites/shop/events", null).body().path("events");
        // The injected failure: the blob of the entry point vanished from the blob folder. A config change must
        // inject the new config into that page again, so its snapshot cannot be built.
        String sha = TestGateway.sha256(page("v1").get("index.html").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path blob;
        try (Stream<Path> all = Files.walk(gw.dataDir().resolve("blobs"))) {
            blob = all.filter(p -> p.getFileName().toString().equals(sha)).findFirst().orElseThrow();
        }
        Files.delete(blob);

        Answer refused = gw.admin("PUT", "/v1/sites/shop/config", Map.of("flag", "after"));

        assertThat(refused.status()).as(refused.body().toString()).isEqualTo(500);
        assertThat(refused.error()).isEqualTo("SNAPSHOT_FAILED");
        assertThat(refused.body().path("message").asText()).contains("site 'shop'", "nothing was changed")
                .doesNotContain(gw.dataDir().toString());
        assertThat(gw.ok("GET", "/v1/sites/shop/config", null).body().path("config").path("flag").asText())
                .as("the store kept the old config").isEqualTo("before");
        assertThat(gw.ok("GET", "/v1/sites/shop/events", null).body().path("events"))
                .as("no event was appended").isEqualTo(eventsBefore);
        assertThat(TestGateway.text(gw.get("shop.localhost", "/_skewgate/config.json")))
                .as("the live snapshot still serves the old config").contains("before");
        assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).contains("v1");
    }
}
