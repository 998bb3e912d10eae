package dev.skewgate.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.app.Main;
import dev.skewgate.config.StoreSettings;
import dev.skewgate.testing.Postgres;
import dev.skewgate.testing.TestGateway;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skewgate store copy}: a data directory a SQLite gateway wrote, copied into a real PostgreSQL, serves the same
 * site from a gateway on PostgreSQL with an empty cache; the copy verifies itself and runs again without change.
 */
class StoreCopyTest {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void copiedDataDirectoryServesTheSameSitesAndEventsOnPostgresAndACopyAgainChangesNothing() throws Exception {
        Path sqlite = dir.resolve("one-node");
        byte[] big = new byte[(3 << 20) + 5];
        new Random(3).nextBytes(big);
        String v1;
        String v2;
        long events;
        com.fasterxml.jackson.databind.JsonNode siteBefore;
        com.fasterxml.jackson.databind.JsonNode eventsBefore;
        com.fasterxml.jackson.databind.JsonNode deploymentBefore;
        try (TestGateway gw = TestGateway.start(sqlite)) {
            gw.createSite("shop", "shop.localhost", "*.shop.localhost");
            Map<String, byte[]> one = new LinkedHashMap<>();
            one.put("index.html", "<!doctype html><title>v1</title>".getBytes(StandardCharsets.UTF_8));
            one.put("big.bin", big);
            v1 = gw.deployBytes("shop", one);
            gw.activate("shop", v1);
            v2 = gw.deploy("shop", Map.of("index.html", "<!doctype html><title>v2</title>"));
            gw.activate("shop", v2);
            gw.ok("PUT", "/v1/sites/shop/config", Map.of("flags", Map.of("beta", true)));
            eventsBefore = gw.ok("GET", "/v1/sites/shop/events?limit=100", null).body();
            events = eventsBefore.path("events").size();
            siteBefore = gw.ok("GET", "/v1/sites/shop", null).body();
            deploymentBefore = gw.ok("GET", "/v1/deployments/" + v1, null).body();
        }
        String url = Postgres.shared().createDatabase();

        Run first = cli("store", "copy", "--from", sqlite.toString(), "--to", url);
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("1 sites", "2 deployments", "3 deployment_files")
                .contains("sha256 of 3 blob(s) read back", "3 copied").doesNotContain(Postgres.shared().password());

        Run again = cli("store", "copy", "--from", sqlite.toString(), "--to", url);
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("0 copied", "3 were there already");

        Path node = dir.resolve("pg-node");
        Files.createDirectories(node);
        Files.copy(sqlite.resolve("secret-key"), node.resolve("secret-key"));
        try (TestGateway gw = TestGateway.start(node, s -> s.withStore(StoreSettings.postgres(url, 1L << 30)))) {
            assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).contains("<title>v2</title>");
            assertThat(TestGateway.text(gw.get("www.shop.localhost", "/"))).contains("<title>v2</title>");
            var site = gw.ok("GET", "/v1/sites/shop", null).body();
            assertThat(site.path("activeDeployment").asText()).isEqualTo(v2);
            assertThat(site).as("the site as SQLite had it, times and config included").isEqualTo(siteBefore);
            assertThat(gw.ok("GET", "/v1/sites/shop/events?limit=100", null).body()).isEqualTo(eventsBefore);
            assertThat(gw.ok("GET", "/v1/deployments/" + v1, null).body()).isEqualTo(deploymentBefore);
            assertThat(gw.ok("GET", "/v1/sites/shop/events?limit=100", null).body().path("events").size())
                    .isEqualTo(events);
            assertThat(gw.ok("GET", "/v1/deployments/" + v1, null).body().path("state").asText()).isEqualTo("previous");
            // The previous deployment's files came along: a rollback serves v1 with its big file.
            gw.ok("POST", "/v1/sites/shop/rollback", Map.of());
            assertThat(gw.get("shop.localhost", "/big.bin").body()).isEqualTo(big);
        }
    }

    @Test
    void aFolderThatIsNoDataDirectoryIsAPlainError() {
        Run r = cli("store", "copy", "--from", dir.resolve("nothing").toString(), "--to",
                Postgres.shared().createDatabase());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("error: --from").contains("holds no skewgate.db").doesNotContain("\n");
    }
}
