package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skewgate.config.StoreSettings;
import dev.skewgate.store.SecretBox;
import dev.skewgate.store.postgres.LastKnownGood;
import dev.skewgate.testing.Await;
import dev.skewgate.testing.Postgres;
import dev.skewgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node on PostgreSQL restarted while PostgreSQL itself is stopped: it starts from its last-known-good copy and
 * serves the same bytes, refuses writes with 503, and once PostgreSQL is started again takes writes and follows the
 * changes another node makes, by itself. Its own cluster: stopping the shared one would stop every other test's.
 */
class LastKnownGoodStartTest {

    private static final String HOST = "shop.localhost";

    @TempDir
    Path dir;

    @Test
    void aNodeRestartedWhilePostgresIsStoppedServesItsLastSnapshotAndCatchesUpWhenItReturns() throws Exception {
        Postgres pg = Postgres.startPrivate();
        String url = pg.createDatabase();
        StoreSettings store = StoreSettings.postgres(url, StoreSettings.DEFAULT_BLOB_CACHE);
        byte[] logo = new byte[300_000];
        new java.util.Random(7).nextBytes(logo);
        try (TestGateway a = TestGateway.start(dir.resolve("a"), s -> s.withStore(store))) {
            a.createSite("shop", HOST);
            String v1 = a.deployBytes("shop", Map.of("index.html", "<html>v1</html>".getBytes(StandardCharsets.UTF_8),
                    "assets/app-1.js", "one()".getBytes(StandardCharsets.UTF_8), "logo.png", logo));
            a.activate("shop", v1);
            String v2 = a.deploy("shop", Map.of("index.html", "<html>v2</html>", "assets/app-2.js", "two()"));
            long saved = a.gateway().lastKnownGoodSaves();
            Await.until("a last-known-good copy after the last change", 10_000,
                    () -> a.gateway().lastKnownGoodSaves() > saved);
            Path copy = a.dataDir().resolve(LastKnownGood.FILE);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
            List<String> paths = List.of("/", "/assets/app-1.js", "/logo.png", "/missing/route");
            Map<String, byte[]> before = new LinkedHashMap<>();
            for (String p : paths) {
                HttpResponse<byte[]> r = a.get(HOST, p, "Accept", "text/html");
                assertThat(r.statusCode()).as(p).isEqualTo(200);
                before.put(p, r.body());
            }
            byte[] pinnedV2 = a.get(HOST, "/assets/app-2.js", "X-Skewgate-Deployment", v2).body();

            Files.createDirectories(dir.resolve("b"));
            Files.copy(a.dataDir().resolve(SecretBox.KEY_FILE), dir.resolve("b").resolve(SecretBox.KEY_FILE));
            try (TestGateway b = TestGateway.start(dir.resolve("b"), s -> s.withStore(store))) {
                pg.stopServer();
                a.restart();
                assertThat(a.gateway().standingBy()).isTrue();
                int failed = 0;
                for (int i = 0; i < 200; i++) {
                    String p = paths.get(i % paths.size());
                    HttpResponse<byte[]> r = a.get(HOST, p, "Accept", "text/html");
                    if (r.statusCode() != 200 || !java.util.Arrays.equals(r.body(), before.get(p))) {
                        failed++;
                    }
                }
                assertThat(failed).as("requests answered otherwise than before the restart").isZero();
                assertThat(a.get(HOST, "/assets/app-2.js", "X-Skewgate-Deployment", v2).body()).isEqualTo(pinnedV2);
                assertThat(a.get("lb", "/_skewgate/readyz").statusCode()).as("ready while standing by").isEqualTo(200);
                TestGateway.Answer refused = a.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.error()).isEqualTo("STORE_UNAVAILABLE");
                assertThat(refused.body().path("message").asText()).contains("database", "last-known-good")
                        .doesNotContain(pg.password());
                assertThat(a.admin("GET", "/v1/sites/shop", null).status()).as("reads answer from the copy")
                        .isEqualTo(200);

                // Without a copy the start is what it was: one clear failure.
                assertThatThrownBy(() -> TestGateway.start(dir.resolve("c"), s -> s.withStore(store)))
                        .hasMessageContaining("cannot connect to PostgreSQL");

                pg.startServer();
                Await.until("node a reaches the database again", 15_000, () -> !a.gateway().standingBy());
                TestGateway.Answer through = b.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
                long deadline = System.currentTimeMillis() + 15_000;
                while (through.status() == 503 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100); // node b's pool notices the restarted server on its next connection
                    through = b.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
                }
                assertThat(through.status()).as(through.body().toString()).isEqualTo(200);
                Await.until("node a serves what node b activated", 10_000,
                        () -> TestGateway.text(a.get(HOST, "/")).contains("v2"));
                TestGateway.Answer back = a.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v1));
                assertThat(back.status()).as(back.body().toString()).isEqualTo(200);
                Await.until("node b serves what node a activated", 10_000,
                        () -> TestGateway.text(b.get(HOST, "/")).contains("v1"));
            }
        } finally {
            pg.stopServer();
        }
    }
}
