package dev.skewgate.gateway;

import static dev.skewgate.testing.TestGateway.text;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data plane over real HTTP against a started gateway: what a browser gets for each kind of request. */
class StaticServingTest {

    private static final String HOST = "shop.localhost";
    private static final String NAV = "text/html,application/xhtml+xml";

    @TempDir
    Path dir;
    TestGateway gw;
    String v1;

    @BeforeEach
    void start() throws Exception {
        gw = TestGateway.start(dir);
        gw.createSite("shop", HOST, "*.example.com");
        v1 = gw.deploy("shop", build("v1"));
        gw.activate("shop", v1);
    }

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static Map<String, String> build(String version) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("index.html", "<!doctype html><html><head><title>" + version + "</title></head><body>" + version + "</body></html>");
        files.put("assets/index-" + (version.equals("v1") ? "3f9a1c2b" : "7e4d2a9c") + ".js", "console.log('" + version + "')");
        files.put("robots.txt", "User-agent: * " + version);
        files.put("data.json", "{\"version\":\"" + version + "\"}");
        return files;
    }

    @Test
    void entryPointIsRevalidatedAndNamesItsDeployment() {
        HttpResponse<byte[]> r = gw.get(HOST, "/", "Accept", NAV);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "Cache-Control")).isEqualTo("no-cache");
        assertThat(header(r, "Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(header(r, "X-Skewgate-Deployment")).isEqualTo(v1);
        assertThat(header(r, "X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(header(r, "ETag")).matches("\"[0-9a-f]{32}\"");
        assertThat(header(r, "Last-Modified")).endsWith("GMT");
        assertThat(header(r, "Date")).endsWith("GMT");
        assertThat(header(r, "Set-Cookie")).startsWith("skewgate_dpl=" + v1 + ";").contains("Path=/", "SameSite=Lax");
        assertThat(text(r)).contains("<head><meta name=\"skewgate-deployment\" content=\"" + v1 + "\">",
                "<meta name=\"skewgate-config\" content=\"{}\">", "<script src=\"/_skewgate/client.js?v=")
                .contains("</script><title>v1").doesNotContain("<script>");
    }

    @Test
    void hashedAssetIsImmutableAndOtherFilesRevalidate() {
        HttpResponse<byte[]> hashed = gw.get(HOST, "/assets/index-3f9a1c2b.js");
        assertThat(header(hashed, "Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(header(hashed, "Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        HttpResponse<byte[]> plain = gw.get(HOST, "/robots.txt");
        assertThat(header(plain, "Cache-Control")).isEqualTo("public, max-age=0, must-revalidate");
        assertThat(header(plain, "ETag")).isNotBlank();
    }

    @Test
    void conditionalRequestsGet304WithValidators() {
        HttpResponse<byte[]> first = gw.get(HOST, "/robots.txt");
        HttpResponse<byte[]> byEtag = gw.get(HOST, "/robots.txt", "If-None-Match", header(first, "ETag"));
        assertThat(byEtag.statusCode()).isEqualTo(304);
        assertThat(byEtag.body()).isEmpty();
        assertThat(header(byEtag, "ETag")).isEqualTo(header(first, "ETag"));
        assertThat(header(byEtag, "Cache-Control")).isEqualTo("public, max-age=0, must-revalidate");
        assertThat(header(byEtag, "Last-Modified")).isEqualTo(header(first, "Last-Modified"));
        assertThat(byEtag.headers().firstValue("Date")).isPresent();
        assertThat(byEtag.headers().firstValue("Content-Type")).as("a 304 describes no body").isEmpty();
        assertThat(byEtag.headers().firstValue("Accept-Ranges")).isEmpty();
        HttpResponse<byte[]> weak = gw.get(HOST, "/robots.txt", "If-None-Match", "\"nope\", W/" + header(first, "ETag"));
        assertThat(weak.statusCode()).as("If-None-Match uses weak comparison").isEqualTo(304);
        HttpResponse<byte[]> byDate = gw.get(HOST, "/robots.txt", "If-Modified-Since", header(first, "Last-Modified"));
        assertThat(byDate.statusCode()).isEqualTo(304);
        HttpResponse<byte[]> stale = gw.get(HOST, "/robots.txt", "If-None-Match", "\"other\"");
        assertThat(stale.statusCode()).isEqualTo(200);
        HttpResponse<byte[]> entry = gw.get(HOST, "/", "Accept", NAV);
        assertThat(gw.get(HOST, "/", "Accept", NAV, "If-None-Match", header(entry, "ETag")).statusCode()).isEqualTo(304);
    }

    @Test
    void headAnswersHeadersWithoutBody() {
        HttpResponse<byte[]> r = gw.edge("HEAD", HOST, "/robots.txt");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "Content-Length")).isEqualTo(String.valueOf("User-agent: * v1".length()));
        assertThat(r.body()).isEmpty();
    }

    @Test
    void rangesAreServedAndUnsatisfiableOnesGet416() {
        HttpResponse<byte[]> one = gw.get(HOST, "/robots.txt", "Range", "bytes=0-9");
        assertThat(one.statusCode()).isEqualTo(206);
        assertThat(header(one, "Content-Range")).isEqualTo("bytes 0-9/16");
        assertThat(text(one)).isEqualTo("User-agent");
        HttpResponse<byte[]> two = gw.get(HOST, "/robots.txt", "Range", "bytes=0-3,12-15");
        assertThat(two.statusCode()).isEqualTo(206);
        assertThat(header(two, "Content-Type")).startsWith("multipart/byteranges; boundary=");
        assertThat(text(two)).contains("Content-Range: bytes 0-3/16", "User", "Content-Range: bytes 12-15/16", "* v1");
        HttpResponse<byte[]> none = gw.get(HOST, "/robots.txt", "Range", "bytes=100-");
        assertThat(none.statusCode()).isEqualTo(416);
        assertThat(header(none, "Content-Range")).isEqualTo("bytes */16");
        HttpResponse<byte[]> staleIfRange = gw.get(HOST, "/robots.txt", "Range", "bytes=0-3", "If-Range", "\"old\"");
        assertThat(staleIfRange.statusCode()).as("If-Range mismatch sends the whole file").isEqualTo(200);
    }

    @Test
    void precompressedSiblingIsChosenByAcceptEncoding() throws Exception {
        String js = "console.log('compressed');".repeat(20);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.html", "<html><head></head></html>".getBytes(StandardCharsets.UTF_8));
        files.put("app.js", js.getBytes(StandardCharsets.UTF_8));
        files.put("app.js.gz", gzip(js));
        files.put("app.js.br", "pretend-brotli".getBytes(StandardCharsets.UTF_8));
        gw.activate("shop", gw.deployBytes("shop", files));

        HttpResponse<byte[]> br = gw.get(HOST, "/app.js", "Accept-Encoding", "gzip, deflate, br");
        assertThat(header(br, "Content-Encoding")).isEqualTo("br");
        assertThat(header(br, "Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(header(br, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(text(br)).isEqualTo("pretend-brotli");
        HttpResponse<byte[]> gz = gw.get(HOST, "/app.js", "Accept-Encoding", "gzip, br;q=0");
        assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
        assertThat(new String(new GZIPInputStream(new ByteArrayInputStream(gz.body())).readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo(js);
        assertThat(header(gz, "ETag")).isNotEqualTo(header(br, "ETag"));
        HttpResponse<byte[]> identity = gw.get(HOST, "/app.js");
        assertThat(header(identity, "Content-Encoding")).isNull();
        assertThat(header(identity, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(text(identity)).isEqualTo(js);
    }

    @Test
    void navigationToUnknownRouteGetsTheSpaEntryButMissingAssetsAre404() {
        HttpResponse<byte[]> route = gw.get(HOST, "/account/orders/42", "Accept", NAV);
        assertThat(route.statusCode()).isEqualTo(200);
        assertThat(text(route)).contains("<title>v1</title>");
        HttpResponse<byte[]> js = gw.get(HOST, "/assets/missing-0a1b2c3d.js", "Accept", "*/*");
        assertThat(js.statusCode()).isEqualTo(404);
        assertThat(header(js, "Content-Type")).startsWith("text/plain");
        assertThat(header(js, "Cache-Control")).isEqualTo("no-store");
        assertThat(header(js, "X-Request-Id")).isNotBlank();
        HttpResponse<byte[]> jsByBrowser = gw.get(HOST, "/assets/missing.js", "Accept", NAV);
        assertThat(jsByBrowser.statusCode()).as("a path with an extension never gets index.html").isEqualTo(404);
        HttpResponse<byte[]> apiStyle = gw.get(HOST, "/account/orders/42", "Accept", "application/json");
        assertThat(apiStyle.statusCode()).as("fetch() of an unknown route is not a navigation").isEqualTo(404);
    }

    @Test
    void oldTabsHashedChunkIsStillServedAfterANewActivation() {
        String v2 = gw.deploy("shop", build("v2"));
        gw.activate("shop", v2);
        assertThat(header(gw.get(HOST, "/", "Accept", NAV), "X-Skewgate-Deployment")).isEqualTo(v2);
        HttpResponse<byte[]> oldChunk = gw.get(HOST, "/assets/index-3f9a1c2b.js");
        assertThat(oldChunk.statusCode()).isEqualTo(200);
        assertThat(text(oldChunk)).isEqualTo("console.log('v1')");
        assertThat(header(oldChunk, "X-Skewgate-Deployment")).as("names where the bytes came from").isEqualTo(v1);
        HttpResponse<byte[]> oldPlainFile = gw.get(HOST, "/robots.txt");
        assertThat(text(oldPlainFile)).as("a file the active deployment has comes from it").endsWith("v2");
    }

    @Test
    void oldTabsChunkWithoutADigitInItsHashIsStillServed() {
        // Vite's 8-character base64url hashes have no digit about a quarter of the time.
        Map<String, String> old = build("v1");
        old.put("assets/Lazy-AbCdEfGh.js", "export default 'lazy v1'");
        old.put("sw.js", "// old service worker");
        String withChunk = gw.deploy("shop", old);
        gw.activate("shop", withChunk);
        String v2 = gw.deploy("shop", build("v2"));
        gw.activate("shop", v2);
        HttpResponse<byte[]> chunk = gw.get(HOST, "/assets/Lazy-AbCdEfGh.js", "Cookie", "skewgate_dpl=" + v2,
                "Sec-Fetch-Mode", "cors", "Accept", "*/*");
        assertThat(chunk.statusCode()).isEqualTo(200);
        assertThat(text(chunk)).isEqualTo("export default 'lazy v1'");
        assertThat(header(chunk, "X-Skewgate-Deployment")).isEqualTo(withChunk);
        assertThat(header(chunk, "Cache-Control")).as("the name guess missed: revalidated, not immutable")
                .isEqualTo("public, max-age=0, must-revalidate");
        assertThat(gw.get(HOST, "/sw.js", "Service-Worker", "script").statusCode())
                .as("a removed service worker is gone for the browser's update check (so it unregisters)").isEqualTo(404);
        assertThat(gw.get(HOST, "/assets/Lazy-AbCdEfGh.js", "Accept", NAV, "Sec-Fetch-Mode", "navigate").statusCode())
                .as("a navigation gets only the version it is served by").isEqualTo(404);
        assertThat(gw.get(HOST, "/assets/Lazy-AbCdEfGh.js", "Service-Worker", "script").statusCode())
                .as("a service worker's update check").isEqualTo(404);
    }

    @Test
    void aStagedPreviewIsServedExactlyAsBuiltAndRemovedNonAssetsAreGone() {
        Map<String, String> old = build("v1");
        old.put("assets/Lazy-AbCdEfGh.js", "export default 'lazy v1'");
        old.put(".env", "SECRET=1");
        String withChunk = gw.deploy("shop", old);
        gw.activate("shop", withChunk);
        Map<String, String> next = build("v2");
        next.remove("robots.txt");
        String staged = gw.deploy("shop", next);
        assertThat(gw.get(HOST, "/assets/Lazy-AbCdEfGh.js?_skewgate=" + staged).statusCode())
                .as("a preview does not borrow another deployment's files").isEqualTo(404);
        gw.activate("shop", staged);
        assertThat(gw.get(HOST, "/robots.txt").statusCode()).as("not a subresource: removed means gone").isEqualTo(404);
        assertThat(gw.get(HOST, "/.env").statusCode()).isEqualTo(404);
        assertThat(gw.get(HOST, "/assets/Lazy-AbCdEfGh.js").statusCode()).as("an old tab's chunk").isEqualTo(200);
    }

    @Test
    void activateAndRollbackSwitchTheVeryNextRequest() {
        String v2 = gw.deploy("shop", build("v2"));
        assertThat(text(gw.get(HOST, "/data.json"))).contains("v1");
        gw.activate("shop", v2);
        assertThat(text(gw.get(HOST, "/data.json"))).contains("v2");
        gw.ok("POST", "/v1/sites/shop/rollback", Map.of());
        assertThat(text(gw.get(HOST, "/data.json"))).contains("v1");
        assertThat(header(gw.get(HOST, "/data.json"), "X-Skewgate-Deployment")).isEqualTo(v1);
    }

    @Test
    void pinsFollowPrecedenceAndTheCookieNeverPinsANavigation() {
        String staged = gw.deploy("shop", build("v2"));
        assertThat(text(gw.get(HOST, "/data.json", "X-Skewgate-Deployment", staged))).contains("v2");
        assertThat(text(gw.get(HOST, "/?_skewgate=" + staged, "Accept", NAV))).as("preview link").contains("v2");
        assertThat(text(gw.get(HOST, "/data.json", "Cookie", "skewgate_dpl=" + staged))).contains("v2");
        assertThat(text(gw.get(HOST, "/", "Accept", NAV, "Cookie", "skewgate_dpl=" + staged)))
                .as("a reload gets the active version").contains("v1");
        assertThat(text(gw.get(HOST, "/data.json?_skewgate=" + v1, "X-Skewgate-Deployment", staged,
                "Cookie", "skewgate_dpl=" + v1))).as("header beats query and cookie").contains("v2");
    }

    @Test
    void malformedUnknownOrOverLongPinsServeTheActiveDeployment() {
        for (String pin : List.of("garbage", "dpl_00000000000000000000000000", "dpl_" + "A".repeat(500), "../../etc",
                "dpl_01M8218Y42EQ07X7WJA80QA8G/")) {
            HttpResponse<byte[]> r = gw.get(HOST, "/data.json", "X-Skewgate-Deployment", pin);
            assertThat(r.statusCode()).as(pin).isEqualTo(200);
            assertThat(header(r, "X-Skewgate-Deployment")).as(pin).isEqualTo(v1);
        }
    }

    @Test
    void retiredDeploymentIsNoLongerServedToItsPins() {
        String v2 = gw.deploy("shop", build("v2"));
        gw.activate("shop", v2);
        assertThat(text(gw.get(HOST, "/data.json", "X-Skewgate-Deployment", v1))).contains("v1");
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
        HttpResponse<byte[]> r = gw.get(HOST, "/data.json", "X-Skewgate-Deployment", v1);
        assertThat(header(r, "X-Skewgate-Deployment")).isEqualTo(v2);
        assertThat(gw.get(HOST, "/assets/index-3f9a1c2b.js").statusCode()).as("retired chunks are gone").isEqualTo(404);
    }

    @Test
    void hostsMatchExactBeforeWildcardAndUnknownHostsGetAClearPage() throws Exception {
        gw.createSite("special", "special.example.com");
        String other = gw.deploy("special", Map.of("index.html", "<html><head></head>special</html>"));
        gw.activate("special", other);
        assertThat(text(gw.get("special.example.com", "/", "Accept", NAV))).contains("special");
        assertThat(text(gw.get("www.example.com", "/", "Accept", NAV))).contains("v1");
        assertThat(text(gw.get("WWW.Example.COM.", "/", "Accept", NAV))).as("case and trailing dot").contains("v1");
        assertThat(gw.get("a.b.example.com", "/").statusCode()).as("wildcard covers one label").isEqualTo(404);
        HttpResponse<byte[]> unknown = gw.get("nobody.test", "/", "Accept", NAV);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(header(unknown, "Cache-Control")).isEqualTo("no-store");
        assertThat(text(unknown)).contains("No site is configured for host", "nobody.test");
        assertThat(gw.get("shop.localhost:" + gw.edgePort(), "/data.json").statusCode()).as("port in Host").isEqualTo(200);
    }

    @Test
    void traversalAttemptsNeverReachAFile() {
        for (String path : List.of("/../skewgate.db", "/%2e%2e/admin-token", "/assets/..%2f..%2fadmin-token",
                "/assets%5c..%5cadmin-token", "/index.html%00.txt", "//admin-token", "/%c0%ae%c0%ae/admin-token",
                "/robots.txt;.js", "/" + "a/".repeat(1100))) {
            HttpResponse<byte[]> r = gw.get(HOST, path);
            assertThat(r.statusCode()).as(path).isIn(400, 404, 414);
            assertThat(text(r)).as(path).doesNotContain(gw.token()).doesNotContain("User-agent");
        }
    }

    @Test
    void siteHeaderRulesAddAndOverrideHeaders() {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("headerRules", List.of(
                Map.of("glob", "assets/**", "headers", Map.of("Cache-Control", "public, max-age=600", "X-Team", "web")),
                Map.of("glob", "*.txt", "headers", Map.of("X-Robots-Tag", "noindex")))));
        HttpResponse<byte[]> asset = gw.get(HOST, "/assets/index-3f9a1c2b.js");
        assertThat(header(asset, "Cache-Control")).isEqualTo("public, max-age=600");
        assertThat(header(asset, "X-Team")).isEqualTo("web");
        assertThat(header(gw.get(HOST, "/robots.txt"), "X-Robots-Tag")).isEqualTo("noindex");
    }

    @Test
    void staticFilesAnswerOnlyGetAndHead() {
        HttpResponse<byte[]> r = gw.edge("POST", HOST, "/robots.txt");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(header(r, "Allow")).isEqualTo("GET, HEAD");
    }

    @Test
    void versionEndpointNamesTheActiveDeploymentAndRevalidates() {
        HttpResponse<byte[]> r = gw.get(HOST, "/_skewgate/version.json");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(header(r, "Cache-Control")).isEqualTo("no-cache");
        assertThat(text(r)).contains("\"site\":\"shop\"", "\"deployment\":\"" + v1 + "\"", "\"configRevision\":0");
        assertThat(gw.get(HOST, "/_skewgate/version.json", "If-None-Match", header(r, "ETag")).statusCode()).isEqualTo(304);
    }

    @Test
    void restartLosesNothing() throws Exception {
        String v2 = gw.deploy("shop", build("v2"));
        gw.activate("shop", v2);
        gw.restart();
        assertThat(header(gw.get(HOST, "/", "Accept", NAV), "X-Skewgate-Deployment")).isEqualTo(v2);
        assertThat(text(gw.get(HOST, "/data.json", "X-Skewgate-Deployment", v1))).contains("v1");
        gw.ok("POST", "/v1/sites/shop/rollback", Map.of());
        assertThat(text(gw.get(HOST, "/data.json"))).contains("v1");
    }

    static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    static byte[] gzip(String s) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(s.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
