package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.aayushatharva.brotli4j.Brotli4jLoader;
import com.aayushatharva.brotli4j.decoder.DecoderJNI;
import com.aayushatharva.brotli4j.decoder.DirectDecompress;
import dev.skewgate.testing.ShapedBackend;
import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On-the-fly compression of proxied responses, on a real gateway in front of a real backend: off by default; when a
 * site opts in, compressible bodies are coded by Accept-Encoding and decode to the backend's exact bytes, streamed
 * chunk by chunk; what must pass untouched (already encoded, no-transform, small, event streams, 206, HEAD,
 * images) does, and Vary is merged with the backend's.
 */
class ProxiedCompressionTest {

    private static final String HOST = "shop.localhost";

    @TempDir
    Path dir;
    TestGateway gw;
    ShapedBackend backend;

    @BeforeAll
    static void brotliLoads() {
        Brotli4jLoader.ensureAvailability();
    }

    @BeforeEach
    void start() throws Exception {
        backend = ShapedBackend.start();
        gw = TestGateway.start(dir);
        gw.createSite("shop", HOST);
        gw.activate("shop", gw.deployWithBackend("shop", Map.of("index.html", "<p>shop</p>"), backend.url()));
    }

    @AfterEach
    void stop() throws Exception {
        backend.release.complete(null);
        gw.close();
        backend.close();
    }

    private void optIn() {
        assertThat(gw.ok("PATCH", "/v1/sites/shop", Map.of("compressProxied", true)).body().path("compressProxied")
                .asBoolean()).isTrue();
    }

    static byte[] gunzip(byte[] coded) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(coded))) {
            return in.readAllBytes();
        }
    }

    static byte[] unbrotli(byte[] coded) throws IOException {
        DirectDecompress d = DirectDecompress.decompress(coded);
        assertThat(d.getResultStatus()).isEqualTo(DecoderJNI.Status.DONE);
        return d.getDecompressedData();
    }

    @Test
    void offByDefaultTheBackendsResponseIsPassedThroughAsItWas() {
        HttpResponse<byte[]> r = gw.get(HOST, "/api/shaped?size=20000", "Accept-Encoding", "gzip, br");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-encoding")).isEmpty();
        assertThat(r.headers().firstValue("vary")).isEmpty();
        assertThat(r.headers().firstValue("content-length")).hasValue("20000");
        assertThat(r.body()).isEqualTo(ShapedBackend.body(20000));
    }

    @Test
    void optedInJsonIsGzippedAndDecompressesToTheBackendsExactBytes() throws Exception {
        optIn();
        HttpResponse<byte[]> r = gw.get(HOST, "/api/shaped?size=20000&header=ETag:%22v1%22&header=Accept-Ranges:bytes",
                "Accept-Encoding", "gzip");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-encoding")).hasValue("gzip");
        assertThat(r.headers().firstValue("content-length")).as("the coded length is not known ahead").isEmpty();
        assertThat(r.headers().allValues("vary")).containsExactly("Accept-Encoding");
        assertThat(r.headers().firstValue("etag")).as("weakened, as nginx does").hasValue("W/\"v1\"");
        assertThat(r.headers().firstValue("accept-ranges")).isEmpty();
        assertThat(r.body().length).isLessThan(20000 / 4);
        assertThat(gunzip(r.body())).isEqualTo(ShapedBackend.body(20000));
    }

    @Test
    void brotliWhenTheClientPrefersItAndAChunkedBodyOfUnknownLengthIsCompressedToo() throws Exception {
        optIn();
        HttpResponse<byte[]> r = gw.get(HOST, "/api/shaped?size=50000&chunked=1&type=text/plain;%20charset=utf-8",
                "Accept-Encoding", "gzip, deflate, br");
        assertThat(r.headers().firstValue("content-encoding")).hasValue("br");
        assertThat(unbrotli(r.body())).isEqualTo(ShapedBackend.body(50000));
        HttpResponse<byte[]> small = gw.get(HOST, "/api/shaped?size=100&chunked=1", "Accept-Encoding", "br");
        assertThat(small.headers().firstValue("content-encoding")).as("no length to say it is small")
                .hasValue("br");
        assertThat(unbrotli(small.body())).isEqualTo(ShapedBackend.body(100));
    }

    @Test
    void theBackendsVaryIsMergedAndAnIdentityAnswerVariesToo() throws Exception {
        optIn();
        HttpResponse<byte[]> r = gw.get(HOST, "/api/shaped?header=Vary:Origin", "Accept-Encoding", "gzip");
        assertThat(r.headers().allValues("vary")).containsExactly("Origin, Accept-Encoding");
        assertThat(gunzip(r.body())).isEqualTo(ShapedBackend.body(5000));
        HttpResponse<byte[]> already = gw.get(HOST, "/api/shaped?header=Vary:accept-encoding", "Accept-Encoding", "gzip");
        assertThat(already.headers().allValues("vary")).containsExactly("accept-encoding");
        HttpResponse<byte[]> identity = gw.get(HOST, "/api/shaped");
        assertThat(identity.headers().firstValue("content-encoding")).as("no Accept-Encoding: identity").isEmpty();
        assertThat(identity.headers().allValues("vary")).as("but a cache must not serve it to one that accepts gzip")
                .containsExactly("Accept-Encoding");
        assertThat(identity.headers().firstValue("content-length")).hasValue("5000");
        HttpResponse<byte[]> refused = gw.get(HOST, "/api/shaped", "Accept-Encoding", "gzip;q=0, br;q=0");
        assertThat(refused.headers().firstValue("content-encoding")).isEmpty();
        assertThat(refused.body()).isEqualTo(ShapedBackend.body(5000));
    }

    /** One row per response that must reach the client exactly as the backend sent it. */
    @Test
    void responsesThatMustNotBeCompressedPassUntouched() {
        optIn();
        record Row(String why, String method, String query, boolean varies) { }
        Row[] rows = {
            new Row("already encoded by the backend", "GET", "header=Content-Encoding:gzip", false),
            new Row("Cache-Control: no-transform", "GET", "header=Cache-Control:private,%20no-transform", false),
            new Row("under 1 KiB by its Content-Length", "GET", "size=1023", false),
            new Row("an image", "GET", "type=image/png", false),
            new Row("an event stream", "GET", "type=text/event-stream", false),
            new Row("a partial answer (206)", "GET", "status=206&header=Content-Range:bytes%200-4999/9999", false),
            new Row("no content (204)", "GET", "status=204&size=0", false),
            new Row("HEAD (Vary still says what GET would do)", "HEAD", "size=5000", true),
        };
        SoftAssertions soft = new SoftAssertions();
        for (Row row : rows) {
            HttpResponse<byte[]> r = gw.edge(row.method(), HOST, "/api/shaped?" + row.query(), "Accept-Encoding", "gzip, br");
            String encoding = r.headers().firstValue("content-encoding").orElse("");
            soft.assertThat(encoding).as(row.why()).isIn("", row.query().contains("Content-Encoding") ? "gzip" : "");
            soft.assertThat(r.headers().allValues("vary").isEmpty()).as(row.why() + ": Vary").isEqualTo(!row.varies());
            if (row.method().equals("GET") && r.statusCode() != 204) {
                int size = row.query().contains("size=1023") ? 1023 : 5000;
                soft.assertThat(r.body()).as(row.why() + ": the backend's bytes").isEqualTo(ShapedBackend.body(size));
            }
        }
        soft.assertAll();
    }

    @Test
    void aCompressedStreamReachesTheClientChunkByChunkAndAnEventStreamIsNeverHeldBack() throws Exception {
        optIn();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest gzipped = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.edgePort() + "/api/stream?size=30000"))
                .header("Host", HOST).header("Accept-Encoding", "gzip").timeout(Duration.ofSeconds(20)).build();
        HttpResponse<InputStream> r = http.send(gzipped, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.headers().firstValue("content-encoding")).hasValue("gzip");
        byte[] first = ShapedBackend.FIRST.getBytes(StandardCharsets.US_ASCII);
        try (InputStream in = new GZIPInputStream(r.body(), 64)) {
            // Decodable before the backend sends the rest: the gateway flushed the coding after the first chunk.
            assertThat(in.readNBytes(first.length)).isEqualTo(first);
            backend.release.complete(null);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(first);
            in.transferTo(all);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            expected.write(first);
            expected.write(ShapedBackend.body(30000));
            assertThat(all.toByteArray()).isEqualTo(expected.toByteArray());
        }
    }

    @Test
    void anEventStreamIsRelayedUncompressedEventByEvent() throws Exception {
        optIn();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest events = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.edgePort()
                        + "/api/stream?type=text/event-stream&size=10")).header("Host", HOST)
                .header("Accept-Encoding", "gzip, br").timeout(Duration.ofSeconds(20)).build();
        HttpResponse<InputStream> r = http.send(events, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.headers().firstValue("content-encoding")).isEmpty();
        byte[] first = ShapedBackend.FIRST.getBytes(StandardCharsets.US_ASCII);
        try (InputStream in = r.body()) {
            assertThat(in.readNBytes(first.length)).as("before the backend ends the stream").isEqualTo(first);
            backend.release.complete(null);
            assertThat(in.readAllBytes()).isEqualTo(ShapedBackend.body(10));
        }
    }
}
