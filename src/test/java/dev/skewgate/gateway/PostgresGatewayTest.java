package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.app.Main;
import dev.skewgate.config.StoreSettings;
import dev.skewgate.store.SecretBox;
import dev.skewgate.store.postgres.PostgresBlobStore;
import dev.skewgate.testing.Postgres;
import dev.skewgate.testing.TestGateway;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve} on a real PostgreSQL (the JVM's throwaway cluster, a fresh database per test): deploys and serves
 * over real HTTP, a second node with an empty blob cache serves the same deployment, a damaged cached blob is
 * fetched again, and a wrong store URL or password stops the start with one plain line.
 */
class PostgresGatewayTest {

    @TempDir
    Path dir;

    /** 3.5 MiB: four chunk rows in the database. */
    private static final byte[] BIG = random(7 * (1 << 19));

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(14).nextBytes(b);
        return b;
    }

    private static Map<String, byte[]> build(String version) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.html", ("<!doctype html><title>" + version + "</title><script src=/app.js></script>")
                .getBytes(StandardCharsets.UTF_8));
        files.put("app.js", ("console.log('" + version + "');").getBytes(StandardCharsets.UTF_8));
        files.put("video.bin", BIG);
        return files;
    }

    private static TestGateway node(Path dataDir, String url) throws Exception {
        return TestGateway.start(dataDir, s -> s.withStore(StoreSettings.postgres(url, StoreSettings.DEFAULT_BLOB_CACHE)));
    }

    private static long count(String url, String sql) throws Exception {
        try (Connection c = Postgres.shared().connect(url);
             ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void assertServes(TestGateway gw, String version) {
        HttpResponse<byte[]> page = gw.get("shop.localhost", "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(TestGateway.text(page)).contains("<title>" + version + "</title>");
        assertThat(TestGateway.text(gw.get("shop.localhost", "/app.js"))).isEqualTo("console.log('" + version + "');");
        HttpResponse<byte[]> big = gw.get("shop.localhost", "/video.bin");
        assertThat(big.statusCode()).isEqualTo(200);
        assertThat(big.body()).isEqualTo(BIG);
    }

    @Test
    void gatewayOnPostgresDeploysAndServesASiteWithItsBlobsInTheDatabase() throws Exception {
        String url = Postgres.shared().createDatabase();
        try (TestGateway gw = node(dir.resolve("a"), url)) {
            gw.createSite("shop", "shop.localhost");
            String id = gw.deployBytes("shop", build("v1"));
            gw.activate("shop", id);
            assertServes(gw, "v1");

            var health = gw.ok("GET", "/v1/health", null).body();
            assertThat(health.path("store").asText()).isEqualTo("postgresql");
            assertThat(health.path("storeAt").asText()).endsWith(url.substring(url.lastIndexOf('/') + 1))
                    .doesNotContain(Postgres.shared().password());
            assertThat(count(url, "SELECT count(*) FROM blobs")).isEqualTo(3);
            assertThat(count(url, "SELECT count(*) FROM blob_chunks")).as("1 + 1 + 4 chunk rows").isEqualTo(6);
            assertThat(count(url, "SELECT max(length(data)) FROM blob_chunks")).isEqualTo(1 << 20);
            assertThat(count(url, "SELECT count(*) FROM deployments")).isEqualTo(1);
        }
    }

    @Test
    void everyNodeOnOneDatabaseAcceptsTheFirstNodesAdminToken() throws Exception {
        String url = Postgres.shared().createDatabase();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        try (TestGateway first = node(a, url)) {
            Files.createDirectories(b);
            Files.copy(a.resolve(SecretBox.KEY_FILE), b.resolve(SecretBox.KEY_FILE));
            // The second data dir had a token of its own: the database's wins and the file is rewritten.
            Files.writeString(b.resolve(dev.skewgate.admin.AdminToken.FILE_NAME), "sgt_local_only\n");
            try (TestGateway second = node(b, url)) {
                assertThat(Files.readString(b.resolve(dev.skewgate.admin.AdminToken.FILE_NAME)).trim())
                        .isEqualTo(Files.readString(a.resolve(dev.skewgate.admin.AdminToken.FILE_NAME)).trim());
                assertThat(second.token()).isEqualTo(first.token());
                second.createSite("shop", "shop.localhost"); // with the token both accept
                assertThat(first.ok("GET", "/v1/sites/shop", null).status()).isEqualTo(200);
                assertThat(count(url, "SELECT count(*) FROM store_meta WHERE name = 'admin-token' AND value NOT LIKE 'sgt_%'"))
                        .as("kept sealed").isEqualTo(1);
            }
        }
    }

    @Test
    void secondNodeWithAnEmptyCacheServesTheSameDeploymentFilledFromPostgres() throws Exception {
        String url = Postgres.shared().createDatabase();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        try (TestGateway first = node(a, url)) {
            first.createSite("shop", "shop.localhost");
            first.activate("shop", first.deployBytes("shop", build("v1")));
            assertServes(first, "v1");
            // Every node of one database shares the key that seals its secrets.
            Files.createDirectories(b);
            Files.copy(a.resolve(SecretBox.KEY_FILE), b.resolve(SecretBox.KEY_FILE));
            try (TestGateway second = node(b, url)) {
                assertServes(second, "v1");
                PostgresBlobStore blobs = second.gateway().postgresBlobs().orElseThrow();
                assertThat(blobs.filledCount()).as("every blob came from the database").isEqualTo(3);
                for (byte[] content : build("v1").values()) {
                    String sha = TestGateway.sha256(content);
                    assertThat(Files.readAllBytes(b.resolve("blob-cache").resolve(sha.substring(0, 2)).resolve(sha)))
                            .isEqualTo(content);
                }
            }
        }
    }

    @Test
    void damagedBlobInTheCacheIsDetectedAtStartAndFetchedAgain() throws Exception {
        String url = Postgres.shared().createDatabase();
        try (TestGateway gw = node(dir.resolve("a"), url)) {
            gw.createSite("shop", "shop.localhost");
            gw.activate("shop", gw.deployBytes("shop", build("v1")));
            String sha = TestGateway.sha256(BIG);
            Path cached = dir.resolve("a").resolve("blob-cache").resolve(sha.substring(0, 2)).resolve(sha);
            gw.gateway().close();
            byte[] damaged = Files.readAllBytes(cached);
            damaged[1234] ^= 0x55; // same length: only the hash tells
            Files.write(cached, damaged);

            gw.restart();

            assertServes(gw, "v1");
            PostgresBlobStore blobs = gw.gateway().postgresBlobs().orElseThrow();
            assertThat(blobs.damagedCount()).isEqualTo(1);
            assertThat(blobs.filledCount()).isEqualTo(1);
            assertThat(Files.readAllBytes(cached)).isEqualTo(BIG);
        }
    }

    @Test
    void wrongPasswordUnreachableDatabaseAndBadUrlEachStopTheStartWithOnePlainLine() throws Exception {
        String url = Postgres.shared().createDatabase();
        String password = Postgres.shared().password();
        String wrong = url.replace(password, "not-the-" + password.substring(0, 8));
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        String unreachable = url.replace(":" + Postgres.shared().port() + "/", ":" + closed + "/");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put(wrong, "it refused the login of user '" + Postgres.USER + "'");
        expected.put(unreachable, "nothing accepts connections there");
        expected.put("mysql://root:hunter2@db/shop", "the scheme must be postgresql://");
        expected.put(url.replace(url.substring(url.lastIndexOf('/')), "/no_such_db"), "it has no database of that name");
        for (Map.Entry<String, String> c : expected.entrySet()) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "serve", "--store", c.getKey(),
                    "--data-dir", dir.resolve("x").toString(), "--port", "0", "--admin-port", "0");
            assertThat(code).as(c.getKey()).isEqualTo(1);
            assertThat(err.toString().strip()).as(c.getKey()).startsWith("error: ").contains(c.getValue())
                    .doesNotContain("\n").doesNotContain("Exception").doesNotContain(password).doesNotContain("hunter2")
                    .doesNotContain("not-the-");
            assertThat(out.toString()).isEmpty();
        }
    }

    @Test
    void blobCacheSizeThatIsNoSizeIsNamedAndRefused() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "serve", "--store",
                Postgres.shared().url("unused"), "--blob-cache-size", "lots", "--data-dir", dir.resolve("x").toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString().strip()).startsWith("error: --blob-cache-size: 'lots' is not a size")
                .doesNotContain(Postgres.shared().password());
        assertThat(StoreSettings.parseSize("512m")).isEqualTo(512L << 20);
        assertThat(StoreSettings.parseSize("4GiB")).isEqualTo(4L << 30);
        assertThat(StoreSettings.parseSize("1048576")).isEqualTo(1L << 20);
    }

    @Test
    void purgeCollectsABlobFromPostgresAndFromTheLocalCache() throws Exception {
        String url = Postgres.shared().createDatabase();
        try (TestGateway gw = node(dir.resolve("a"), url)) {
            gw.createSite("shop", "shop.localhost");
            gw.ok("PATCH", "/v1/sites/shop", Map.of("retention", Map.of("skewWindow", "0s", "keepPrevious", 1,
                    "purgeAfter", "0s")));
            String v1 = gw.deploy("shop", Map.of("index.html", "one"));
            gw.activate("shop", v1);
            gw.activate("shop", gw.deploy("shop", Map.of("index.html", "two")));
            gw.activate("shop", gw.deploy("shop", Map.of("index.html", "three")));
            String only = TestGateway.sha256("one".getBytes(StandardCharsets.UTF_8));
            Path cached = dir.resolve("a").resolve("blob-cache").resolve(only.substring(0, 2)).resolve(only);
            assertThat(cached).exists();

            gw.ok("POST", "/v1/retention/run", null);
            assertThat(gw.ok("POST", "/v1/retention/run", null).body().path("purged").toString()).contains(v1);

            assertThat(count(url, "SELECT count(*) FROM blobs WHERE sha256='" + only + "'")).isZero();
            assertThat(count(url, "SELECT count(*) FROM blob_chunks WHERE sha256='" + only + "'")).isZero();
            assertThat(cached).doesNotExist();
            assertThat(count(url, "SELECT count(*) FROM blobs")).as("two and three stay").isEqualTo(2);
            assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).endsWith("three");
        }
    }
}
