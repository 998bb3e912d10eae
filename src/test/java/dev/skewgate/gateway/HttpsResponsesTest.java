package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.ShapedBackend;
import dev.skewgate.testing.TestCerts;
import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the site settings add to responses over HTTPS, with curl against the TLS listener: the HSTS header on every
 * response of an opted-in site over TLS (files, 404s, gateway errors, proxied answers unless the backend sent its
 * own), never over plain HTTP nor when off; and proxied responses compressed over HTTP/2 as over HTTP/1.1.
 */
class HttpsResponsesTest {

    private static final String HSTS = "max-age=31536000; includeSubDomains";

    @TempDir
    Path dir;
    TestGateway gw;
    TestCerts ca;
    ShapedBackend backend;

    @BeforeEach
    void start() throws Exception {
        backend = ShapedBackend.start();
        ca = TestCerts.ca(dir.resolve("certs"));
        gw = TestGateway.start(dir.resolve("data"), s -> s.withHttps(0));
        gw.createSite("shop", "shop.test");
        gw.createSite("blog", "blog.test");
        for (String host : List.of("shop.test", "blog.test")) {
            TestCerts.Leaf leaf = ca.leaf(host, "ec", 2, host);
            gw.ok("POST", "/v1/certificates", Map.of("host", host, "certFile", leaf.cert().toString(),
                    "keyFile", leaf.key().toString()));
        }
        gw.activate("shop", gw.deployWithBackend("shop", Map.of("index.html", "<p>shop</p>"), backend.url()));
        gw.activate("blog", gw.deploy("blog", Map.of("index.html", "<p>blog</p>")));
        gw.ok("PATCH", "/v1/sites/shop", Map.of("hsts", Map.of("maxAge", 31536000, "includeSubDomains", true),
                "compressProxied", true));
    }

    @AfterEach
    void stop() throws Exception {
        backend.release.complete(null);
        gw.close();
        backend.close();
    }

    record Answer(String version, int status, Map<String, List<String>> headers, byte[] body) {
        List<String> header(String name) {
            return headers.getOrDefault(name, List.of());
        }
    }

    @Test
    void everyResponseOfAnOptedInSiteOverHttpsCarriesHsts() throws Exception {
        for (String version : List.of("--http2", "--http1.1")) {
            Answer page = curl(version, "shop.test", "/");
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.header("strict-transport-security")).as(version + " file").containsExactly(HSTS);
            assertThat(curl(version, "shop.test", "/assets/missing-1a2b3c4d.js").header("strict-transport-security"))
                    .as(version + " 404").containsExactly(HSTS);
            Answer gone = curl(version, "shop.test", "/api/x", "X-Skewgate-Deployment: dpl_00000000000000000000000000");
            assertThat(gone.status()).isEqualTo(410);
            assertThat(gone.header("strict-transport-security")).as(version + " gateway error").containsExactly(HSTS);
            assertThat(curl(version, "shop.test", "/api/shaped").header("strict-transport-security"))
                    .as(version + " proxied").containsExactly(HSTS);
            assertThat(curl(version, "shop.test", "/api/shaped?header=Strict-Transport-Security:max-age=60")
                    .header("strict-transport-security")).as(version + ": the backend's own wins, never both")
                    .containsExactly("max-age=60");
            assertThat(curl(version, "blog.test", "/").header("strict-transport-security")).as("a site that is off")
                    .isEmpty();
        }
    }

    @Test
    void plainHttpNeverCarriesHsts() throws Exception {
        HttpResponse<byte[]> redirect = gw.get("shop.test", "/");
        assertThat(redirect.statusCode()).isEqualTo(308);
        assertThat(redirect.headers().firstValue("strict-transport-security")).isEmpty();

        // A gateway serving plain HTTP only (behind a TLS terminator, or on localhost): the setting is kept, not sent.
        try (TestGateway plain = TestGateway.start(dir.resolve("plain"))) {
            plain.createSite("shop", "shop.test");
            plain.activate("shop", plain.deploy("shop", Map.of("index.html", "<p>shop</p>")));
            plain.ok("PATCH", "/v1/sites/shop", Map.of("hsts", Map.of("maxAge", 600)));
            HttpResponse<byte[]> r = plain.get("shop.test", "/");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("strict-transport-security")).isEmpty();
        }
    }

    @Test
    void proxiedJsonIsCompressedOverHttp2AndDecodesToTheBackendsBytes() throws Exception {
        Answer r = curl("--http2", "shop.test", "/api/shaped?size=40000&header=ETag:%22e1%22", "Accept-Encoding: gzip");
        assertThat(r.version()).isEqualTo("2");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-encoding")).containsExactly("gzip");
        assertThat(r.header("content-length")).isEmpty();
        assertThat(r.header("vary")).containsExactly("Accept-Encoding");
        assertThat(r.header("etag")).containsExactly("W/\"e1\"");
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(r.body()))) {
            assertThat(in.readAllBytes()).isEqualTo(ShapedBackend.body(40000));
        }
        Answer events = curl("--http2", "shop.test", "/api/stream?type=text/event-stream&size=5",
                "Accept-Encoding: gzip", "X-Release: now");
        assertThat(events.header("content-encoding")).as("an event stream is never coded").isEmpty();
    }

    /** curl with the test CA and the host resolved to the TLS listener; the headers lowercased. */
    private Answer curl(String version, String host, String path, String... headers) throws Exception {
        if (List.of(headers).contains("X-Release: now")) {
            backend.release.complete(null); // the stream ends at once: curl returns when it has all of it
        }
        Path head = Files.createTempFile(dir, "head", ".txt");
        Path body = Files.createTempFile(dir, "body", ".bin");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", version, "--cacert", ca.caCert().toString(),
                "--resolve", host + ":" + gw.gateway().httpsPort() + ":127.0.0.1", "-D", head.toString(),
                "-o", body.toString(), "-w", "%{http_version} %{http_code}"));
        for (String h : headers) {
            cmd.add("-H");
            cmd.add(h);
        }
        cmd.add("https://" + host + ":" + gw.gateway().httpsPort() + path);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, List<String>> fields = new LinkedHashMap<>();
        for (String line : Files.readAllLines(head, StandardCharsets.ISO_8859_1)) {
            int colon = line.indexOf(':');
            if (colon > 0 && !line.startsWith("HTTP/")) {
                fields.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(line.substring(colon + 1).trim());
            }
        }
        String[] w = out.split(" ");
        return new Answer(w[0], Integer.parseInt(w[1]), fields, readAll(body));
    }

    private static byte[] readAll(Path file) throws IOException {
        return Files.readAllBytes(file);
    }
}
