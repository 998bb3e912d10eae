package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.Decoder;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.aayushatharva.brotli4j.decoder.DirectDecompress;
import dev.skewgate.testing.NodeTools;
import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compressed variants computed once per blob, on a real gateway: the bytes of each variant decompress to the identity
 * exactly, each representation has its own strong ETag, Vary on every response of a compressible path, conditional
 * and range requests per representation, variants found again after a restart (missing ones computed again), shared
 * between deployments and deleted with their blob; and every file of a real Vite build.
 */
class CompressionTest {

    private static final String HOST = "shop.localhost";
    private static final String APP = "assets/app-1a2b3c4d.js";
    private static final String CSS = "assets/style-1a2b3c4d.css";
    private static final String NOISE = "assets/noise-1a2b3c4d.txt";
    private static final String SMALL = "assets/small-1a2b3c4d.js";
    private static final String PNG = "assets/logo-1a2b3c4d.png";

    @TempDir
    Path dir;
    TestGateway gw;

    @BeforeAll
    static void brotliLoads() {
        Brotli4jLoader.ensureAvailability(); // the native library of this platform, from the test class path
    }

    @BeforeEach
    void start() throws Exception {
        gw = TestGateway.start(dir);
        gw.createSite("shop", HOST);
    }

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    static Map<String, byte[]> build(String version) throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.html", ("<!doctype html><html><head></head><body>" + version + "</body></html>").getBytes(StandardCharsets.UTF_8));
        StringBuilder js = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            js.append("export function handler").append(i).append("(event) { return event.detail + ").append(i * 7)
                    .append("; }\n");
        }
        files.put(APP, js.toString().getBytes(StandardCharsets.UTF_8));
        String css = ".card { margin: 0 auto; padding: 1rem; color: #333; }\n".repeat(80) + "/* " + version + " */";
        files.put(CSS, css.getBytes(StandardCharsets.UTF_8));
        files.put(CSS + ".gz", gzip(css.getBytes(StandardCharsets.UTF_8)));
        byte[] noise = new byte[8192];
        new Random(42).nextBytes(noise);
        files.put(NOISE, noise);
        files.put(SMALL, "console.log('small');".getBytes(StandardCharsets.UTF_8));
        byte[] png = new byte[4096];
        new Random(7).nextBytes(png);
        files.put(PNG, png);
        return files;
    }

    @Test
    void variantsAreComputedAndDecompressToTheIdentityBytes() throws Exception {
        Map<String, byte[]> files = build("v1");
        gw.activate("shop", gw.deployBytes("shop", files));
        byte[] js = files.get(APP);

        HttpResponse<byte[]> br = awaitEncoding("/" + APP, "br");
        assertThat(brotli(br.body())).isEqualTo(js);
        assertThat(br.body().length).isLessThan(js.length / 4);
        assertThat(header(br, "Content-Length")).isEqualTo(Integer.toString(br.body().length));
        assertThat(header(br, "Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(header(br, "Vary")).isEqualTo("Accept-Encoding");
        HttpResponse<byte[]> gz = awaitEncoding("/" + APP, "gzip");
        assertThat(gunzip(gz.body())).isEqualTo(js);
        assertThat(header(gz, "Content-Length")).isEqualTo(Integer.toString(gz.body().length));

        // The build's own .gz sibling is served as it is; brotli, which the build lacks, is computed.
        HttpResponse<byte[]> cssGz = gw.get(HOST, "/" + CSS, "Accept-Encoding", "gzip");
        assertThat(header(cssGz, "Content-Encoding")).isEqualTo("gzip");
        assertThat(cssGz.body()).isEqualTo(files.get(CSS + ".gz"));
        assertThat(brotli(awaitEncoding("/" + CSS, "br").body())).isEqualTo(files.get(CSS));

        // Not smaller by the margin: identity only, but still Vary (the path is compressible).
        awaitNoPending();
        HttpResponse<byte[]> noise = gw.get(HOST, "/" + NOISE, "Accept-Encoding", "gzip, br");
        assertThat(header(noise, "Content-Encoding")).isNull();
        assertThat(header(noise, "Vary")).isEqualTo("Accept-Encoding");
        assertThat(noise.body()).isEqualTo(files.get(NOISE));
        assertThat(variant(files.get(NOISE), "br-11-22")).as("the 'not worth it' marker").isEmptyFile();

        // Below 1 KiB, and images: never compressed, and no Vary.
        for (String path : List.of(SMALL, PNG)) {
            HttpResponse<byte[]> r = gw.get(HOST, "/" + path, "Accept-Encoding", "gzip, br");
            assertThat(header(r, "Content-Encoding")).as(path).isNull();
            assertThat(header(r, "Vary")).as(path).isNull();
            assertThat(r.body()).isEqualTo(files.get(path));
            assertThat(variant(files.get(path), "br-11-22")).doesNotExist();
        }
    }

    /** One row: request headers, then status, Content-Encoding (or "-") and which ETag the answer carries. */
    record Row(String why, String method, List<String> headers, int status, String encoding, String etag) {
    }

    @Test
    void eachRepresentationHasItsOwnETagForConditionalAndRangeRequests() throws Exception {
        Map<String, byte[]> files = build("v1");
        gw.activate("shop", gw.deployBytes("shop", files));
        awaitEncoding("/" + APP, "br");
        awaitEncoding("/" + APP, "gzip");
        String id = header(gw.get(HOST, "/" + APP), "ETag");
        String br = header(gw.get(HOST, "/" + APP, "Accept-Encoding", "br"), "ETag");
        String gz = header(gw.get(HOST, "/" + APP, "Accept-Encoding", "gzip"), "ETag");
        assertThat(List.of(id, br, gz)).doesNotHaveDuplicates().allSatisfy(e -> assertThat(e).startsWith("\""));
        Map<String, String> etags = Map.of("id", id, "br", br, "gz", gz);
        int length = files.get(APP).length;

        List<Row> rows = List.of(
                new Row("br preferred", "GET", List.of("Accept-Encoding", "gzip, deflate, br"), 200, "br", "br"),
                new Row("gzip only", "GET", List.of("Accept-Encoding", "gzip"), 200, "gzip", "gz"),
                new Row("no Accept-Encoding", "GET", List.of(), 200, "-", "id"),
                new Row("identity;q=0 still gets a coding", "GET", List.of("Accept-Encoding", "identity;q=0, gzip"), 200, "gzip", "gz"),
                new Row("304 on the br ETag", "GET", List.of("Accept-Encoding", "br", "If-None-Match", br), 304, "br", "br"),
                new Row("the identity ETag does not match br", "GET", List.of("Accept-Encoding", "br", "If-None-Match", id), 200, "br", "br"),
                new Row("the br ETag does not match gzip", "GET", List.of("Accept-Encoding", "gzip", "If-None-Match", br), 200, "gzip", "gz"),
                new Row("a cache's list of ETags", "GET", List.of("Accept-Encoding", "br", "If-None-Match", gz + ", " + br), 304, "br", "br"),
                new Row("304 on the identity ETag", "GET", List.of("If-None-Match", id), 304, "-", "id"),
                new Row("weak comparison for If-None-Match", "GET", List.of("Accept-Encoding", "gzip", "If-None-Match", "W/" + gz), 304, "gzip", "gz"),
                new Row("a range is of the identity", "GET", List.of("Accept-Encoding", "br", "Range", "bytes=0-9"), 206, "-", "id"),
                new Row("If-Range with the br ETag: whole identity", "GET", List.of("Accept-Encoding", "br", "Range", "bytes=0-9", "If-Range", br), 200, "-", "id"),
                new Row("If-Range with the identity ETag", "GET", List.of("Range", "bytes=0-9", "If-Range", id), 206, "-", "id"),
                new Row("HEAD of br", "HEAD", List.of("Accept-Encoding", "br"), 200, "br", "br"));
        SoftAssertions soft = new SoftAssertions();
        for (Row row : rows) {
            HttpResponse<byte[]> r = gw.edge(row.method(), HOST, "/" + APP, row.headers().toArray(String[]::new));
            soft.assertThat(r.statusCode()).as(row.why()).isEqualTo(row.status());
            soft.assertThat(header(r, "Content-Encoding")).as(row.why() + ": encoding")
                    .isEqualTo(row.encoding().equals("-") ? null : row.encoding());
            soft.assertThat(header(r, "ETag")).as(row.why() + ": ETag").isEqualTo(etags.get(row.etag()));
            soft.assertThat(header(r, "Vary")).as(row.why() + ": Vary").isEqualTo("Accept-Encoding");
            if (row.status() == 206) {
                soft.assertThat(header(r, "Content-Range")).as(row.why()).isEqualTo("bytes 0-9/" + length);
                soft.assertThat(r.body()).as(row.why()).isEqualTo(java.util.Arrays.copyOf(files.get(APP), 10));
            }
            if (row.status() == 200 && row.encoding().equals("-")) {
                soft.assertThat(header(r, "Accept-Ranges")).as(row.why()).isEqualTo("bytes");
                soft.assertThat(r.body()).as(row.why()).isEqualTo(files.get(APP));
            }
            if (row.method().equals("HEAD")) {
                soft.assertThat(r.body()).as(row.why()).isEmpty();
                soft.assertThat(Long.parseLong(header(r, "Content-Length"))).as(row.why()).isLessThan(length / 4);
            }
        }
        soft.assertAll();
    }

    @Test
    void afterARestartVariantsAreFoundAgainMissingOnesComputedAgainAndStrayOnesSwept() throws Exception {
        Map<String, byte[]> files = build("v1");
        gw.activate("shop", gw.deployBytes("shop", files));
        byte[] gzipped = awaitEncoding("/" + APP, "gzip").body();
        awaitEncoding("/" + APP, "br");
        awaitNoPending();
        Path lost = variant(files.get(APP), "br-11-22");
        Files.delete(lost);
        // Left by a crash between a blob's deletion and its variant's write, and by older compressor settings.
        Path orphan = variant("no such blob".getBytes(StandardCharsets.UTF_8), "br-11-22");
        Path oldSettings = variant(files.get(APP), "br-9-22");
        Files.createDirectories(orphan.getParent());
        Files.createDirectories(oldSettings.getParent());
        Files.write(orphan, new byte[] {1, 2, 3});
        Files.write(oldSettings, new byte[] {1, 2, 3});
        gw.restart();

        // Found by the startup build, so the very first request after the restart has it (no waiting).
        HttpResponse<byte[]> gz = gw.get(HOST, "/" + APP, "Accept-Encoding", "gzip");
        assertThat(header(gz, "Content-Encoding")).isEqualTo("gzip");
        assertThat(gz.body()).isEqualTo(gzipped);
        assertThat(brotli(awaitEncoding("/" + APP, "br").body())).isEqualTo(files.get(APP));
        assertThat(lost).isNotEmptyFile();
        awaitNoPending(); // the sweep runs on the compression thread, before the jobs of the startup build
        assertThat(orphan).doesNotExist();
        assertThat(oldSettings).doesNotExist();
    }

    @Test
    void variantsAreSharedBetweenDeploymentsAndDeletedWithTheirBlob() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("retention", Map.of("skewWindow", "0s", "keepPrevious", 1,
                "purgeAfter", "0s")));
        Map<String, byte[]> v1 = build("v1");
        gw.activate("shop", gw.deployBytes("shop", v1));
        awaitEncoding("/" + CSS, "br");
        awaitEncoding("/" + APP, "br");
        awaitNoPending();
        Path shared = variant(v1.get(APP), "br-11-22");
        Instant written = Files.getLastModifiedTime(shared).toInstant();
        List<Path> before = variantFiles();

        Map<String, byte[]> v2 = build("v2"); // the same app.js; the CSS changed
        gw.activate("shop", gw.deployBytes("shop", v2));
        awaitEncoding("/" + CSS, "br");
        awaitNoPending();
        assertThat(Files.getLastModifiedTime(shared).toInstant()).as("not computed again").isEqualTo(written);
        List<Path> added = new ArrayList<>(variantFiles());
        added.removeAll(before);
        assertThat(added).as("only the changed CSS got a variant (brotli; gzip is the build's sibling)")
                .containsExactly(variant(v2.get(CSS), "br-11-22"));

        Map<String, byte[]> v3 = build("v3");
        gw.activate("shop", gw.deployBytes("shop", v3));
        awaitNoPending();
        gw.ok("POST", "/v1/retention/run", null);
        gw.ok("POST", "/v1/retention/run", null);
        assertThat(variant(v1.get(CSS), "br-11-22")).as("v1's CSS was purged with its blob").doesNotExist();
        assertThat(variant(v2.get(CSS), "br-11-22")).as("v2 is kept as the previous deployment").exists();
        assertThat(shared).as("still used by v2 and v3").exists();
    }

    @Test
    void everyFileOfARealViteBuildDecompressesToItsBytes() throws Exception {
        NodeTools.requireNode();
        NodeTools.buildSdk();
        Path example = NodeTools.REPO.resolve("examples/vite-react");
        NodeTools.installFromLockfile(example);
        Path out = NodeTools.REPO.resolve("target/examples/compression");
        NodeTools.run(example, Map.of("APP_VERSION", "compressed"), 120, "node", "node_modules/vite/bin/vite.js",
                "build", "--outDir", out.toString(), "--emptyOutDir");
        Map<String, byte[]> files = NodeTools.files(out);
        gw.activate("shop", gw.deployBytes("shop", files));
        awaitNoPending();
        int compressed = 0;
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            HttpResponse<byte[]> br = gw.get(HOST, "/" + f.getKey(), "Accept-Encoding", "br");
            HttpResponse<byte[]> gz = gw.get(HOST, "/" + f.getKey(), "Accept-Encoding", "gzip");
            boolean expected = f.getValue().length > 1024 && !f.getKey().endsWith(".html")
                    && (f.getKey().endsWith(".js") || f.getKey().endsWith(".css") || f.getKey().endsWith(".svg"));
            if (expected) {
                assertThat(header(br, "Content-Encoding")).as(f.getKey()).isEqualTo("br");
                assertThat(header(gz, "Content-Encoding")).as(f.getKey()).isEqualTo("gzip");
                compressed++;
            }
            // The entry point carries the injected tags: its identity is what the gateway serves, not the file.
            byte[] identity = f.getKey().equals("index.html") ? gw.get(HOST, "/index.html").body() : f.getValue();
            assertThat(decode(br)).as(f.getKey()).isEqualTo(identity);
            assertThat(decode(gz)).as(f.getKey()).isEqualTo(identity);
        }
        assertThat(compressed).as("the main bundle at least (the lazy chunk is under 1 KiB)").isPositive();
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private HttpResponse<byte[]> awaitEncoding(String path, String encoding) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (true) {
            HttpResponse<byte[]> r = gw.get(HOST, path, "Accept-Encoding", encoding);
            if (encoding.equals(header(r, "Content-Encoding"))) {
                return r;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + encoding + " variant of " + path + " within 60 s");
            }
            Thread.sleep(50);
        }
    }

    /** Waits until the gateway's compressor has no job queued or running. */
    private void awaitNoPending() throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (gw.gateway().compressionPending() > 0) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("compression still running after 60 s");
            }
            Thread.sleep(50);
        }
    }

    private Path variant(byte[] identity, String key) {
        String sha = TestGateway.sha256(identity);
        return dir.resolve("blobs/variants").resolve(sha.substring(0, 2)).resolve(sha + "." + key);
    }

    private List<Path> variantFiles() throws Exception {
        try (Stream<Path> s = Files.walk(dir.resolve("blobs/variants"))) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getParent().endsWith(".tmp")).sorted().toList();
        }
    }

    private static byte[] decode(HttpResponse<byte[]> r) throws Exception {
        String enc = header(r, "Content-Encoding");
        return enc == null ? r.body() : enc.equals("br") ? brotli(r.body()) : gunzip(r.body());
    }

    static byte[] brotli(byte[] compressed) throws Exception {
        DirectDecompress d = Decoder.decompress(compressed);
        assertThat(d.getResultStatus()).isEqualTo(DecoderJNI.Status.DONE);
        return d.getDecompressedData();
    }

    static byte[] gunzip(byte[] compressed) throws Exception {
        return new GZIPInputStream(new ByteArrayInputStream(compressed)).readAllBytes();
    }

    static byte[] gzip(byte[] bytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }
}
