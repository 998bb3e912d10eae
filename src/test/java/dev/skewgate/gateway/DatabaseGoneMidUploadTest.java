package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.config.StoreSettings;
import dev.skewgate.store.SecretBox;
import dev.skewgate.testing.Postgres;
import dev.skewgate.testing.TestGateway;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL stopped while a multi-MiB build is being uploaded through one of two nodes: the blob being sent fails
 * with a clear 503, nothing of the new deployment is served by either node (before or after the database returns),
 * and the same upload, retried once PostgreSQL is back, completes and is served by both. Its own cluster: stopping
 * the shared one would stop every other test's.
 */
class DatabaseGoneMidUploadTest {

    private static final String HOST = "shop.localhost";
    private static final int MIB = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void anUploadCutByTheDatabaseFailsCleanlyLeavesNoHalfDeploymentAndCanBeRetried() throws Exception {
        Postgres pg = Postgres.startPrivate();
        StoreSettings store = StoreSettings.postgres(pg.createDatabase(), StoreSettings.DEFAULT_BLOB_CACHE);
        try (TestGateway a = TestGateway.start(dir.resolve("a"), s -> s.withStore(store))) {
            Files.createDirectories(dir.resolve("b"));
            Files.copy(a.dataDir().resolve(SecretBox.KEY_FILE), dir.resolve("b").resolve(SecretBox.KEY_FILE));
            try (TestGateway b = TestGateway.start(dir.resolve("b"), s -> s.withStore(store))) {
                a.createSite("shop", HOST);
                String v1 = a.deploy("shop", Map.of("index.html", "<html>v1</html>"));
                a.activate("shop", v1);

                // A build of 12 MiB in four files, the first one sent whole before the database goes.
                Map<String, byte[]> build = new LinkedHashMap<>();
                build.put("index.html", "<html>v2</html>".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                Random random = new Random(14);
                for (int i = 1; i <= 3; i++) {
                    byte[] bytes = new byte[4 * MIB];
                    random.nextBytes(bytes);
                    build.put("assets/big-" + i + ".bin", bytes);
                }
                List<Map<String, Object>> manifest = new ArrayList<>();
                Map<String, byte[]> bySha = new LinkedHashMap<>();
                build.forEach((path, bytes) -> {
                    manifest.add(Map.of("path", path, "sha256", TestGateway.sha256(bytes), "size", bytes.length));
                    bySha.put(TestGateway.sha256(bytes), bytes);
                });
                TestGateway.Answer begun = a.ok("POST", "/v1/sites/shop/deployments", Map.of("files", manifest));
                String v2 = begun.body().path("deployment").path("id").asText();
                List<String> missing = new ArrayList<>();
                begun.body().path("missing").forEach(sha -> missing.add(sha.asText()));
                assertThat(missing).hasSize(4);
                a.ok("PUT", "/v1/deployments/" + v2 + "/blobs/" + missing.get(0), bySha.get(missing.get(0)));

                // The second blob stops after 1 MiB; PostgreSQL is stopped; then the rest of its bytes follow.
                CountDownLatch halfway = new CountDownLatch(1);
                CountDownLatch goOn = new CountDownLatch(1);
                String cut = missing.get(1);
                java.util.concurrent.CompletableFuture<HttpResponse<String>> sending = HTTP.sendAsync(
                        HttpRequest.newBuilder(URI.create(a.adminUrl() + "/v1/deployments/" + v2 + "/blobs/" + cut))
                                .header("Authorization", "Bearer " + a.token()).timeout(Duration.ofSeconds(60))
                                .PUT(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                                        () -> new Pausing(bySha.get(cut), MIB, halfway, goOn)), bySha.get(cut).length))
                                .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(halfway.await(30, TimeUnit.SECONDS)).isTrue();
                pg.stopServer();
                goOn.countDown();
                HttpResponse<String> failed = sending.get(60, TimeUnit.SECONDS);
                JsonNode error = JSON.readTree(failed.body());
                System.out.printf("database gone mid-upload: the blob's PUT answered %d %s%n", failed.statusCode(),
                        failed.body());
                assertThat(failed.statusCode()).isEqualTo(503);
                assertThat(error.path("error").asText()).isEqualTo("STORE_UNAVAILABLE");
                assertThat(error.path("message").asText()).contains("nothing was changed", "PostgreSQL")
                        .doesNotContain(pg.password());
                TestGateway.Answer finalize = a.admin("POST", "/v1/deployments/" + v2 + "/finalize", Map.of());
                assertThat(finalize.status()).isEqualTo(503);
                assertNothingOfIt(List.of(a, b), v2, "while the database is away");

                pg.startServer();
                assertNothingOfIt(List.of(a, b), v2, "once the database is back");
                for (TestGateway node : List.of(a, b)) {
                    JsonNode state = retried(node, "GET", "/v1/deployments/" + v2, null).body();
                    assertThat(state.path("state").asText()).as(state.toString()).isEqualTo("uploading");
                }

                // The retry: the same deployment, the blobs it still misses, then finalize and activate.
                for (String sha : missing.subList(1, missing.size())) {
                    assertThat(retried(a, "PUT", "/v1/deployments/" + v2 + "/blobs/" + sha, bySha.get(sha)).status())
                            .isEqualTo(201);
                }
                assertThat(retried(a, "POST", "/v1/deployments/" + v2 + "/finalize", Map.of()).status()).isEqualTo(200);
                a.activate("shop", v2);
                for (TestGateway node : List.of(a, b)) {
                    dev.skewgate.testing.Await.until("the retried deployment served", 10_000,
                            () -> TestGateway.text(node.get(HOST, "/")).contains("v2"));
                    for (Map.Entry<String, byte[]> f : build.entrySet()) {
                        if (f.getKey().endsWith(".html")) {
                            continue; // served with the SDK's script tag injected
                        }
                        assertThat(node.get(HOST, "/" + f.getKey()).body()).as(f.getKey()).isEqualTo(f.getValue());
                    }
                }
            }
        } finally {
            pg.stopServer();
        }
    }

    /** Neither node serves the unfinished deployment, to a pinned request or an unpinned one. */
    private static void assertNothingOfIt(List<TestGateway> nodes, String unfinished, String when) {
        for (TestGateway node : nodes) {
            assertThat(TestGateway.text(node.get(HOST, "/"))).as(when).contains("v1");
            HttpResponse<byte[]> pinned = node.get(HOST, "/assets/big-1.bin", "X-Skewgate-Deployment", unfinished);
            assertThat(pinned.statusCode()).as("a request pinned to the unfinished deployment, %s", when)
                    .isNotEqualTo(200);
        }
    }

    /** An admin call repeated while it answers 503 (a pool meets the restarted server on its next connection). */
    private static TestGateway.Answer retried(TestGateway node, String method, String path, Object body)
            throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        TestGateway.Answer answer = node.admin(method, path, body);
        while (answer.status() == 503 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            answer = node.admin(method, path, body);
        }
        return answer;
    }

    /** A body that stops after {@code first} bytes until told to go on. */
    private static final class Pausing extends InputStream {
        private final byte[] bytes;
        private final int first;
        private final CountDownLatch halfway;
        private final CountDownLatch goOn;
        private int at;

        Pausing(byte[] bytes, int first, CountDownLatch halfway, CountDownLatch goOn) {
            this.bytes = bytes;
            this.first = first;
            this.halfway = halfway;
            this.goOn = goOn;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (at >= bytes.length) {
                return -1;
            }
            if (at == first) {
                halfway.countDown();
                try {
                    goOn.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            int n = Math.min(len, (at < first ? first : bytes.length) - at);
            System.arraycopy(bytes, at, b, off, n);
            at += n;
            return n;
        }
    }
}
