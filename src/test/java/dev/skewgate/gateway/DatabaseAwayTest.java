package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.config.StoreSettings;
import dev.skewgate.testing.Postgres;
import dev.skewgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway on PostgreSQL whose database goes away: it keeps serving its snapshot without a failed request, refuses
 * admin writes with 503 and a plain message (no driver or pool internals, no password), and takes writes again by
 * itself once the database is back.
 */
class DatabaseAwayTest {

    private static final String HOST = "shop.localhost";

    @TempDir
    Path dir;

    @Test
    void servingGoesOnWritesAre503AndEverythingWorksAgainWhenTheDatabaseReturns() throws Exception {
        String url = Postgres.shared().createDatabase();
        try (TestGateway gw = TestGateway.start(dir.resolve("a"),
                s -> s.withStore(StoreSettings.postgres(url, StoreSettings.DEFAULT_BLOB_CACHE)))) {
            gw.createSite("shop", HOST);
            String v1 = gw.deploy("shop", Map.of("index.html", "<html>v1</html>", "app.js", "one()"));
            gw.activate("shop", v1);
            String v2 = gw.deploy("shop", Map.of("index.html", "<html>v2</html>", "app.js", "two()"));

            allowConnections(url, false);
            try {
                for (int i = 0; i < 50; i++) {
                    HttpResponse<byte[]> r = gw.get(HOST, i % 2 == 0 ? "/" : "/app.js");
                    assertThat(r.statusCode()).as("request %d with the database away", i).isEqualTo(200);
                }
                TestGateway.Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.error()).isEqualTo("STORE_UNAVAILABLE");
                String message = refused.body().path("message").asText();
                assertThat(message).contains("database").doesNotContain(Postgres.shared().password())
                        .doesNotContainIgnoringCase("hikari").doesNotContain("Exception").doesNotContain("org.");
                assertThat(gw.get(HOST, "/").body()).asString().contains("v1");
            } finally {
                allowConnections(url, true);
            }
            long deadline = System.currentTimeMillis() + 15_000;
            TestGateway.Answer again;
            do {
                again = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
            } while (again.status() == 503 && System.currentTimeMillis() < deadline && pause());
            assertThat(again.status()).as(again.body().toString()).isEqualTo(200);
            assertThat(new String(gw.get(HOST, "/").body())).contains("v2");
        }
    }

    private static boolean pause() throws InterruptedException {
        Thread.sleep(200);
        return true;
    }

    /** Refuses (and ends) every connection to the test's database, or lets them in again: the database "goes away". */
    private static void allowConnections(String url, boolean allow) throws Exception {
        String name = url.substring(url.lastIndexOf('/') + 1);
        try (Connection c = Postgres.shared().connect(url.substring(0, url.lastIndexOf('/') + 1) + "postgres")) {
            c.createStatement().execute("ALTER DATABASE \"" + name + "\" ALLOW_CONNECTIONS " + allow);
        }
        if (!allow) {
            Postgres.shared().endConnections(url);
        }
    }
}
