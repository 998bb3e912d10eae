package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin API refuses bad input with one error shape and loses nothing. */
class AdminApiTest {

    @TempDir
    Path dir;
    TestGateway gw;

    @BeforeEach
    void start() throws Exception {
        gw = TestGateway.start(dir);
        gw.createSite("shop", "shop.localhost");
    }

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    @Test
    void everyEndpointNeedsTheToken() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (String auth : new String[] {null, "Bearer wrong", "Basic " + gw.token(), "Bearer " + gw.token() + "x"}) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gw.adminUrl() + "/v1/sites")).timeout(Duration.ofSeconds(5));
            if (auth != null) {
                b.header("Authorization", auth);
            }
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(String.valueOf(auth)).isEqualTo(401);
            assertThat(r.body()).contains("\"error\" : \"UNAUTHORIZED\"");
        }
    }

    @Test
    void tokenFileIsPrivateToItsOwner() throws Exception {
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("admin-token"))))
                .isEqualTo("rw-------");
    }

    @Test
    void badSitesAreRefusedWithCodes() {
        expect(gw.admin("POST", "/v1/sites", Map.of("name", "Shop!", "hosts", List.of("a.test"))), 400, "INVALID_SITE_NAME");
        expect(gw.admin("POST", "/v1/sites", Map.of("name", "x", "hosts", List.of("http://a.test/"))), 400, "INVALID_HOST");
        expect(gw.admin("POST", "/v1/sites", Map.of("name", "x", "hosts", List.of())), 400, "NO_HOSTS");
        expect(gw.admin("POST", "/v1/sites", Map.of("name", "shop", "hosts", List.of("b.test"))), 409, "SITE_EXISTS");
        expect(gw.admin("POST", "/v1/sites", Map.of("name", "x", "hosts", List.of("shop.localhost"))), 409, "HOST_TAKEN");
        expect(gw.admin("POST", "/v1/sites", "{not json"), 400, "INVALID_JSON");
        expect(gw.admin("POST", "/v1/sites", "[1,2]"), 400, "INVALID_JSON");
        expect(gw.admin("GET", "/v1/sites/nope", null), 404, "SITE_NOT_FOUND");
        expect(gw.admin("GET", "/v1/nothing-here", null), 404, "NOT_FOUND");
        assertThat(gw.ok("GET", "/v1/sites", null).body().path("sites")).hasSize(1);
    }

    @Test
    void badManifestsAreRefusedAndNothingIsStored() {
        String sha = "a".repeat(64);
        List<Map<String, Object>> bad = List.of(
                Map.of("path", "../x", "sha256", sha, "size", 1),
                Map.of("path", "/abs", "sha256", sha, "size", 1),
                Map.of("path", "a\\b", "sha256", sha, "size", 1),
                Map.of("path", "a\u0000b", "sha256", sha, "size", 1),
                Map.of("path", "ok", "sha256", "xyz", "size", 1));
        for (Map<String, Object> entry : bad) {
            Answer a = gw.admin("POST", "/v1/sites/shop/deployments", Map.of("files", List.of(entry)));
            assertThat(a.status()).as(entry.toString()).isEqualTo(400);
            assertThat(a.body().path("message").asText()).isNotBlank();
        }
        expect(gw.admin("POST", "/v1/sites/shop/deployments", Map.of("files", List.of(
                Map.of("path", "A.js", "sha256", sha, "size", 1), Map.of("path", "a.js", "sha256", sha, "size", 1)))),
                400, "CASE_COLLISION");
        expect(gw.admin("POST", "/v1/sites/nope/deployments", Map.of("files", List.of(
                Map.of("path", "a.js", "sha256", sha, "size", 1)))), 404, "SITE_NOT_FOUND");
        assertThat(gw.ok("GET", "/v1/sites/shop/deployments", null).body().path("deployments")).isEmpty();
    }

    @Test
    void blobsThatDoNotMatchTheirHashOrSizeAreRefusedAndNotKept() throws Exception {
        byte[] content = "hello".getBytes(StandardCharsets.UTF_8);
        String sha = TestGateway.sha256(content);
        Answer created = gw.ok("POST", "/v1/sites/shop/deployments",
                Map.of("files", List.of(Map.of("path", "index.html", "sha256", sha, "size", content.length))));
        String id = created.body().path("deployment").path("id").asText();
        expect(gw.admin("PUT", "/v1/deployments/" + id + "/blobs/" + sha, "HELLO".getBytes(StandardCharsets.UTF_8)),
                400, "BLOB_HASH_MISMATCH");
        expect(gw.admin("PUT", "/v1/deployments/" + id + "/blobs/" + sha, "hell".getBytes(StandardCharsets.UTF_8)),
                400, "UPLOAD_TRUNCATED");
        expect(gw.admin("PUT", "/v1/deployments/" + id + "/blobs/" + sha, "hello!".getBytes(StandardCharsets.UTF_8)),
                400, "BLOB_SIZE_MISMATCH");
        expect(gw.admin("PUT", "/v1/deployments/" + id + "/blobs/" + "b".repeat(64), content), 400, "BLOB_NOT_IN_MANIFEST");
        assertThat(Files.exists(dir.resolve("blobs").resolve(sha.substring(0, 2)).resolve(sha))).isFalse();
        try (Stream<Path> tmp = Files.list(dir.resolve("blobs/.tmp"))) {
            assertThat(tmp).as("no partial blob left behind").isEmpty();
        }
        expect(gw.admin("POST", "/v1/deployments/" + id + "/finalize", null), 409, "BLOBS_MISSING");
        expect(gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", id)), 409, "NOT_FINALIZED");
        gw.ok("PUT", "/v1/deployments/" + id + "/blobs/" + sha, content);
        gw.ok("POST", "/v1/deployments/" + id + "/finalize", null);
        gw.activate("shop", id);
        assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).contains("hello");
    }

    @Test
    void deployingTheSameBuildTwiceUploadsNothing() {
        gw.deploy("shop", Map.of("index.html", "<html></html>", "app.js", "x"));
        byte[] html = "<html></html>".getBytes(StandardCharsets.UTF_8);
        Answer again = gw.ok("POST", "/v1/sites/shop/deployments", Map.of("files", List.of(
                Map.of("path", "index.html", "sha256", TestGateway.sha256(html), "size", html.length))));
        assertThat(again.body().path("missing")).isEmpty();
        assertThat(again.body().path("missingBytes").asLong()).isZero();
    }

    @Test
    void staleIfMatchGets412AndChangesNothing() {
        String v1 = gw.deploy("shop", Map.of("index.html", "v1"));
        String v2 = gw.deploy("shop", Map.of("index.html", "v2"));
        Answer site = gw.ok("GET", "/v1/sites/shop", null);
        String etag = site.raw().headers().firstValue("ETag").orElseThrow();
        gw.ok("POST", "/v1/sites/shop/activate", Map.of("deployment", v1));
        Answer stale = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2), "If-Match", etag);
        expect(stale, 412, "STALE_REVISION");
        assertThat(gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText()).isEqualTo(v1);
        String fresh = gw.ok("GET", "/v1/sites/shop", null).raw().headers().firstValue("ETag").orElseThrow();
        assertThat(gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v2), "If-Match", fresh).status())
                .isEqualTo(200);
    }

    @Test
    void lifecycleRulesAreEnforced() {
        String v1 = gw.deploy("shop", Map.of("index.html", "v1"));
        expect(gw.admin("POST", "/v1/sites/shop/rollback", Map.of()), 409, "NO_ROLLBACK_TARGET");
        gw.activate("shop", v1);
        expect(gw.admin("POST", "/v1/sites/shop/retire", Map.of("deployment", v1)), 409, "DEPLOYMENT_ACTIVE");
        expect(gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", "not-an-id")), 400, "INVALID_DEPLOYMENT_ID");
        expect(gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", "dpl_00000000000000000000000000")),
                404, "DEPLOYMENT_NOT_FOUND");
        expect(gw.admin("POST", "/v1/sites/shop/activate", Map.of()), 400, "MISSING_FIELD");
        gw.createSite("blog", "blog.localhost");
        String blogs = gw.deploy("blog", Map.of("index.html", "blog"));
        Answer otherSite = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", blogs));
        expect(otherSite, 409, "DEPLOYMENT_OF_ANOTHER_SITE");
        assertThat(otherSite.body().path("message").asText()).contains("'blog'", "'shop'", "promote " + blogs);
        String v2 = gw.deploy("shop", Map.of("index.html", "v2"));
        gw.activate("shop", v2);
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
        expect(gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v1)), 409, "DEPLOYMENT_RETIRED");
        Answer again = gw.ok("POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
        assertThat(again.body().path("changed").asBoolean()).as("activating the active one is a no-op").isFalse();
    }

    @Test
    void promoteServesTheSameBlobsOnAnotherSiteWithoutCopying() {
        gw.createSite("shop-prod", "shop.example.com");
        String staging = gw.deploy("shop", Map.of("index.html", "<html><head></head>build 7</html>"));
        long blobsBefore = countBlobs();
        Answer promoted = gw.ok("POST", "/v1/deployments/" + staging + "/promote", Map.of("site", "shop-prod"));
        String prod = promoted.body().path("id").asText();
        assertThat(promoted.body().path("promotedFrom").asText()).isEqualTo(staging);
        gw.activate("shop-prod", prod);
        assertThat(TestGateway.text(gw.get("shop.example.com", "/"))).contains("build 7");
        assertThat(countBlobs()).isEqualTo(blobsBefore);
    }

    @Test
    void retentionRetiresOldPreviousDeploymentsAndCollectsTheirBlobs() {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("retention", Map.of("skewWindow", "0s", "keepPrevious", 1,
                "purgeAfter", "0s")));
        String v1 = gw.deploy("shop", Map.of("index.html", "one"));
        gw.activate("shop", v1);
        String v2 = gw.deploy("shop", Map.of("index.html", "two"));
        gw.activate("shop", v2);
        String v3 = gw.deploy("shop", Map.of("index.html", "three"));
        gw.activate("shop", v3);
        Answer first = gw.ok("POST", "/v1/retention/run", null);
        assertThat(first.body().path("retired").toString()).contains(v1).doesNotContain(v2);
        Answer second = gw.ok("POST", "/v1/retention/run", null);
        assertThat(second.body().path("purged").toString()).contains(v1);
        assertThat(countBlobs()).as("the blob only v1 used is gone").isEqualTo(2);
        gw.ok("POST", "/v1/sites/shop/rollback", null);
        assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).as("the rollback target survived").endsWith("two");
    }

    @Test
    void eventsRecordEveryChange() {
        String v1 = gw.deploy("shop", Map.of("index.html", "v1"));
        gw.activate("shop", v1);
        Answer events = gw.ok("GET", "/v1/sites/shop/events?limit=10", null);
        assertThat(events.body().path("events").findValuesAsText("type")).containsExactly("activate", "deploy", "site.create");
        expect(gw.admin("GET", "/v1/sites/shop/events?limit=0", null), 400, "INVALID_LIMIT");
    }

    private long countBlobs() {
        try (Stream<Path> files = Files.walk(dir.resolve("blobs"))) {
            return files.filter(Files::isRegularFile).filter(p -> !p.toString().contains(".tmp")).count();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void expect(Answer a, int status, String code) {
        assertThat(a.status()).as(a.body().toString()).isEqualTo(status);
        assertThat(a.error()).isEqualTo(code);
        assertThat(a.body().path("message").asText()).isNotBlank();
    }
}
