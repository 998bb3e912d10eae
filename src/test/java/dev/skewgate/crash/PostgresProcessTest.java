package dev.skewgate.crash;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.crash.ChildGateway.Reply;
import dev.skewgate.model.Sha256;
import dev.skewgate.testing.Postgres;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skewgate serve --store postgresql://...} as a real process: it deploys and serves a site, never prints the
 * password, and a kill -9 while it copies an uploaded blob into PostgreSQL leaves that blob whole or absent there.
 */
class PostgresProcessTest {

    private static final String HOST = "shop.localhost";

    @TempDir
    Path dir;

    private static String sha256(byte[] b) {
        return HexFormat.of().formatHex(Sha256.digest().digest(b));
    }

    private static Reply expect(Reply reply, int status, String what) {
        assertThat(reply.status()).as(what + ": " + reply.body()).isEqualTo(status);
        return reply;
    }

    private static final byte[] PAGE = "<!doctype html><title>on postgres</title>".getBytes(StandardCharsets.UTF_8);

    /** Begins a deployment of index.html and {@code path} and uploads index.html. */
    private static String begin(ChildGateway gw, String path, byte[] content) throws Exception {
        Reply begun = expect(gw.post("/v1/sites/shop/deployments", Map.of("files",
                List.of(Map.of("path", "index.html", "sha256", sha256(PAGE), "size", PAGE.length),
                        Map.of("path", path, "sha256", sha256(content), "size", content.length)))), 201, "begin");
        String id = begun.body().path("deployment").path("id").asText();
        expect(gw.put("/v1/deployments/" + id + "/blobs/" + sha256(PAGE), HttpRequest.BodyPublishers.ofByteArray(PAGE)),
                201, "upload index.html");
        return id;
    }

    @Test
    void serveOnPostgresDeploysAndServesOverHttpAndNeverPrintsThePassword() throws Exception {
        String url = Postgres.shared().createDatabase();
        Path log = dir.resolve("gateway.log");
        byte[] page = "console.log('on postgres')".getBytes(StandardCharsets.UTF_8);
        try (ChildGateway gw = ChildGateway.start(dir.resolve("data"), log, "--store", url)) {
            expect(gw.post("/v1/sites", Map.of("name", "shop", "hosts", List.of(HOST))), 201, "create site");
            String id = begin(gw, "app.js", page);
            expect(gw.put("/v1/deployments/" + id + "/blobs/" + sha256(page),
                    HttpRequest.BodyPublishers.ofByteArray(page)), 201, "upload");
            expect(gw.post("/v1/deployments/" + id + "/finalize", Map.of()), 200, "finalize");
            expect(gw.post("/v1/sites/shop/activate", Map.of("deployment", id)), 200, "activate");

            ChildGateway.EdgeReply served = gw.navigate(HOST, "/");
            assertThat(served.status()).isEqualTo(200);
            assertThat(served.body()).contains("on postgres");
            assertThat(served.deployment()).isEqualTo(id);
            assertThat(gw.get("/v1/health").body().path("store").asText()).isEqualTo("postgresql");
        }
        String output = Files.readString(log);
        assertThat(output).contains("store:            postgresql at 127.0.0.1:" + Postgres.shared().port() + "/")
                .doesNotContain(Postgres.shared().password());
    }

    @Test
    void killedWhileCopyingABlobIntoPostgresLeavesItWholeOrAbsentAndTheUploadCanBeRetried() throws Exception {
        String url = Postgres.shared().createDatabase();
        Path data = dir.resolve("data");
        Path log = dir.resolve("gateway.log");
        byte[] big = new byte[48 << 20];
        new Random(14).nextBytes(big);
        String sha = sha256(big);
        Path cached = data.resolve("blob-cache").resolve(sha.substring(0, 2)).resolve(sha);
        String id;
        try (ChildGateway gw = ChildGateway.start(data, log, "--store", url)) {
            expect(gw.post("/v1/sites", Map.of("name", "shop", "hosts", List.of(HOST))), 201, "create site");
            id = begin(gw, "movie.bin", big);
            CompletableFuture<Reply> upload = CompletableFuture.supplyAsync(() -> {
                try {
                    return gw.put("/v1/deployments/" + id + "/blobs/" + sha, HttpRequest.BodyPublishers.ofByteArray(big));
                } catch (Exception e) {
                    return null; // the kill ends the connection: expected
                }
            });
            // The cache file appears when the upload is verified, just before the copy into the database starts.
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.exists(cached) && !upload.isDone() && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
            gw.kill();
            upload.join();
        }
        try (Connection c = Postgres.shared().connect(url);
             var st = c.prepareStatement("SELECT (SELECT count(*) FROM blobs WHERE sha256=?), "
                     + "(SELECT count(*) FROM blob_chunks WHERE sha256=?), "
                     + "(SELECT coalesce(sum(length(data)), 0) FROM blob_chunks WHERE sha256=?)")) {
            st.setString(1, sha);
            st.setString(2, sha);
            st.setString(3, sha);
            ResultSet rs = st.executeQuery();
            rs.next();
            long rows = rs.getLong(1);
            assertThat(rows).isBetween(0L, 1L);
            if (rows == 0) {
                assertThat(rs.getLong(2)).as("no chunk without its blob row").isZero();
            } else {
                assertThat(rs.getLong(2)).isEqualTo(48);
                assertThat(rs.getLong(3)).isEqualTo(big.length);
            }
        }
        try (ChildGateway gw = ChildGateway.start(data, log, "--store", url)) {
            Reply missing = expect(gw.get("/v1/deployments/" + id), 200, "deployment");
            assertThat(missing.body().path("state").asText()).isEqualTo("uploading");
            expect(gw.put("/v1/deployments/" + id + "/blobs/" + sha, HttpRequest.BodyPublishers.ofByteArray(big)), 201,
                    "upload again");
            expect(gw.post("/v1/deployments/" + id + "/finalize", Map.of()), 200, "finalize");
            expect(gw.post("/v1/sites/shop/activate", Map.of("deployment", id)), 200, "activate");
            try (var body = gw.download(HOST, "/movie.bin").body()) {
                assertThat(sha256(body.readAllBytes())).isEqualTo(sha);
            }
        }
    }
}
