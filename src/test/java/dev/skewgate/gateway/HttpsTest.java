package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.testing.TestCerts;
import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTPS listener with certificate files made by openssl: SNI picks each site's certificate and never another's,
 * HTTP/2 and HTTP/1.1 by ALPN (curl), the plain listener redirects, a changed file is reloaded under load without a
 * failed request, and a file that changes into something unusable (half a write, expired) is refused while the old
 * certificate keeps serving.
 */
class HttpsTest {

    @TempDir
    Path dir;
    TestGateway gw;
    TestCerts ca;

    @BeforeEach
    void start() throws Exception {
        ca = TestCerts.ca(dir.resolve("certs"));
        gw = TestGateway.start(dir.resolve("data"), s -> s.withHttps(0));
        gw.createSite("shop", "shop.test");
        gw.createSite("blog", "*.blog.test");
    }

    /** Deploys and activates the site: its synthetic checks go through the HTTPS listener with each host's SNI. */
    private void live(String site) {
        gw.activate(site, gw.deploy(site, Map.of("index.html", "<p>" + site + "</p>")));
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    private TestCerts.Leaf add(String host, TestCerts.Leaf leaf) {
        gw.ok("POST", "/v1/certificates", Map.of("host", host, "certFile", leaf.cert().toString(),
                "keyFile", leaf.key().toString()));
        return leaf;
    }

    @Test
    void sniPicksEachSitesCertificateAndAnUnknownNameGetsNone() throws Exception {
        add("shop.test", ca.leaf("shop", "ec", 2, "shop.test"));
        add("*.blog.test", ca.leaf("blog-wild", "rsa", 2, "*.blog.test"));
        live("shop");
        live("blog");
        assertThat(names(peer("shop.test"))).containsExactly("shop.test");
        assertThat(names(peer("www.blog.test"))).containsExactly("*.blog.test");
        assertThatThrownBy(() -> peer("blog.test")).as("a wildcard does not cover its own domain")
                .satisfies(HttpsTest::refusedForWantOfACertificate);
        assertThatThrownBy(() -> peer("other.test")).as("never another site's certificate")
                .satisfies(HttpsTest::refusedForWantOfACertificate);
        assertThatThrownBy(() -> peer(null)).as("no SNI: no certificate")
                .satisfies(HttpsTest::refusedForWantOfACertificate);
    }

    /**
     * The handshake ended by the server's fatal alert: handshake_failure from the JDK's engine, internal_error from
     * BoringSSL's (its certificate callback found no key material).
     */
    private static void refusedForWantOfACertificate(Throwable t) {
        assertThat(t).isInstanceOf(javax.net.ssl.SSLException.class)
                .hasMessageMatching("Received fatal alert: (handshake_failure|internal_error)");
    }

    @Test
    void aRequestForAHostTheConnectionsCertificateDoesNotCoverGets421() throws Exception {
        add("shop.test", ca.leaf("shop", "ec", 2, "shop.test"));
        add("*.blog.test", ca.leaf("blog-wild", "ec", 2, "*.blog.test"));
        live("shop");
        SSLContext one = ca.trustingContext();
        try (SSLSocket s = socket(one, "shop.test")) {
            assertThat(request(s, "shop.test", "/")).startsWith("HTTP/1.1 200");
        }
        try (SSLSocket s = socket(one, "www.blog.test")) {
            s.startHandshake();
            X509Certificate presented = (X509Certificate) s.getSession().getPeerCertificates()[0];
            // The JDK's client resumes shop's session, and sends its name (SNI) again, for the other host
            assertThat(names(presented)).containsExactly("shop.test");
            assertThat(request(s, "www.blog.test", "/")).as("never served under shop's certificate")
                    .startsWith("HTTP/1.1 421");
        }
        try (SSLSocket s = socket("www.blog.test")) {
            assertThat(request(s, "shop.test", "/")).as("nor the other way round").startsWith("HTTP/1.1 421");
        }
    }

    @Test
    void garbageAndPlainHttpOnTheTlsPortCloseThatConnectionOnly() throws Exception {
        add("shop.test", ca.leaf("shop", "ec", 2, "shop.test"));
        live("shop");
        for (byte[] junk : List.of("GET / HTTP/1.1\r\nHost: shop.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                new byte[] {0x16, 0x03, 0x01, 0x7f, (byte) 0xff, 1, 2, 3}, new byte[4096])) {
            try (java.net.Socket raw = new java.net.Socket("127.0.0.1", gw.gateway().httpsPort())) {
                raw.setSoTimeout(12_000);
                raw.getOutputStream().write(junk);
                raw.getOutputStream().flush();
                byte[] buf = new byte[4096];
                long t0 = System.currentTimeMillis();
                int n;
                try {
                    while ((n = raw.getInputStream().read(buf)) >= 0) {
                        assertThat(new String(buf, 0, Math.max(0, n), StandardCharsets.ISO_8859_1))
                                .as("no HTTP answer on the TLS port").doesNotContain("HTTP/1.1 200");
                    }
                } catch (java.net.SocketException e) {
                    // reset: as good as closed
                }
                assertThat(System.currentTimeMillis() - t0).as("closed by the handshake timeout at the latest")
                        .isLessThan(12_000);
            }
        }
        assertThat(get("shop.test", "/")).as("the listener still serves").startsWith("HTTP/1.1 200");
    }

    @Test
    void curlGetsHttp2AndHttp11ByAlpnAndThePlainListenerRedirects() throws Exception {
        add("shop.test", ca.leaf("shop", "ec", 2, "shop.test"));
        live("shop");
        List<String> h2 = curl("--http2", "https://shop.test:" + gw.gateway().httpsPort() + "/");
        assertThat(h2.get(0)).isEqualTo("2 200");
        assertThat(h2.get(1)).contains("<p>shop</p>");
        assertThat(gw.ok("GET", "/v1/health", null).body().path("httpsPort").asInt())
                .as("the CLI's preview URLs use it").isEqualTo(gw.gateway().httpsPort());
        List<String> h1 = curl("--http1.1", "https://shop.test:" + gw.gateway().httpsPort() + "/assets/x.js?v=1");
        assertThat(h1.get(0)).isEqualTo("1.1 404");

        HttpResponse<byte[]> plain = gw.get("shop.test", "/cart?item=3", "Accept", "text/html");
        assertThat(plain.statusCode()).isEqualTo(308);
        assertThat(plain.headers().firstValue("location")).hasValue("https://shop.test:" + gw.gateway().httpsPort()
                + "/cart?item=3");
        assertThat(gw.get("shop.test", "/.well-known/acme-challenge/nope").statusCode()).as("not redirected")
                .isEqualTo(404);
        assertThat(gw.get("any", "/_skewgate/healthz").statusCode()).as("probes stay on plain HTTP").isEqualTo(200);
    }

    @Test
    void aCertificateThatIsNotUsableIsRefusedWithTheReason() throws Exception {
        TestCerts.Leaf shop = ca.leaf("shop", "ec", 2, "shop.test");
        TestCerts.Leaf other = ca.leaf("other", "ec", 2, "other.test");
        assertThat(refusal("shop.test", shop.cert(), other.key())).isEqualTo("KEY_MISMATCH");
        assertThat(refusal("shop.test", other.cert(), other.key())).isEqualTo("CERTIFICATE_NOT_FOR_HOST");
        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        assertThat(refusal("shop.test", garbage, shop.key())).isEqualTo("INVALID_CERTIFICATE");
        assertThat(refusal("shop.test", dir.resolve("missing.pem"), shop.key())).isEqualTo("FILE_NOT_READABLE");
        assertThat(refusal("shop.test", Path.of("relative.pem"), shop.key())).isEqualTo("INVALID_FILE");
        assertThat(refusal("not a host", shop.cert(), shop.key())).isEqualTo("INVALID_HOST");
        java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        TestCerts.Leaf expired = ca.leafValid("expired", now.minusSeconds(7200), now.minusSeconds(3600), "shop.test");
        assertThat(refusal("shop.test", expired.cert(), expired.key())).isEqualTo("CERTIFICATE_EXPIRED");
        assertThat(refusalMessage).isEqualTo("the certificate expired on " + now.minusSeconds(3600));
        TestCerts.Leaf early = ca.leafValid("early", now.plusSeconds(3600), now.plusSeconds(7200), "shop.test");
        assertThat(refusal("shop.test", early.cert(), early.key())).isEqualTo("CERTIFICATE_NOT_YET_VALID");
        assertThat(refusalMessage).isEqualTo("the certificate is valid only from " + now.plusSeconds(3600));
        assertThat(gw.ok("GET", "/v1/certificates", null).body().path("certificates")).isEmpty();

        TestGateway.Answer refused = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment",
                gw.deploy("shop", Map.of("index.html", "x"))));
        assertThat(refused.error()).as("a host without a certificate is never switched to")
                .isEqualTo("SYNTHETIC_CHECK_FAILED");
        assertThat(refused.body().path("message").asText()).contains("shop.test", "no certificate for this host name");
    }

    @Test
    void aRenewedFileIsServedUnderLoadWithoutAFailedRequestAndABrokenOneIsRefused() throws Exception {
        TestCerts.Leaf first = add("shop.test", ca.leaf("shop", "ec", 2, "shop.test"));
        live("shop");
        X509Certificate before = peer("shop.test");
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        Map<String, Integer> failures = new ConcurrentHashMap<>();
        List<Thread> load = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            Thread th = new Thread(() -> {
                while (running.get()) {
                    try {
                        String status = get("shop.test", "/");
                        if (status.startsWith("HTTP/1.1 200")) {
                            ok.incrementAndGet();
                        } else {
                            failures.merge(status, 1, Integer::sum);
                        }
                    } catch (Exception e) {
                        failures.merge(e.toString(), 1, Integer::sum);
                    }
                }
            });
            th.start();
            load.add(th);
        }
        TestCerts.Leaf renewed = ca.leaf("shop-renewed", "ec", 3, "shop.test");
        // as certbot or a deploy hook would: each file replaced whole, key first
        Files.copy(renewed.key(), first.key(), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(renewed.cert(), first.cert(), StandardCopyOption.REPLACE_EXISTING);
        long deadline = System.currentTimeMillis() + 10_000;
        while (peer("shop.test").getSerialNumber().equals(before.getSerialNumber())) {
            assertThat(System.currentTimeMillis()).as("the renewed file is served within 10 s").isLessThan(deadline);
            Thread.sleep(100);
        }
        Thread.sleep(300);
        running.set(false);
        for (Thread th : load) {
            th.join();
        }
        System.out.println("certificate reload under load: " + ok.get() + " HTTPS requests ok, failures " + failures);
        assertThat(failures).isEmpty();
        assertThat(ok.get()).isPositive();

        X509Certificate serving = peer("shop.test");
        Files.writeString(first.cert(), "half a file");
        deadline = System.currentTimeMillis() + 10_000;
        JsonNode alert = null;
        while (alert == null) {
            assertThat(System.currentTimeMillis()).as("the refusal shows in status").isLessThan(deadline);
            for (JsonNode a : gw.ok("GET", "/v1/sites/shop/status", null).body().path("alerts")) {
                if (a.path("kind").asText().equals("CERTIFICATE_REFUSED")) {
                    alert = a;
                }
            }
            Thread.sleep(100);
        }
        assertThat(alert.path("message").asText()).contains("previous certificate keeps serving");
        assertThat(peer("shop.test").getSerialNumber()).isEqualTo(serving.getSerialNumber());

        java.time.Instant now = java.time.Instant.now();
        TestCerts.Leaf expired = ca.leafValid("shop-expired", now.minusSeconds(7200), now.minusSeconds(3600), "shop.test");
        Files.copy(expired.key(), first.key(), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(expired.cert(), first.cert(), StandardCopyOption.REPLACE_EXISTING);
        deadline = System.currentTimeMillis() + 10_000;
        while (!gw.ok("GET", "/v1/certificates", null).body().path("certificates").get(0).path("error").asText()
                .contains("the certificate expired on")) {
            assertThat(System.currentTimeMillis()).as("an expired file is refused with the reason").isLessThan(deadline);
            Thread.sleep(100);
        }
        assertThat(peer("shop.test").getSerialNumber()).as("the old one keeps serving")
                .isEqualTo(serving.getSerialNumber());
        JsonNode row = gw.ok("GET", "/v1/sites/shop/status", null).body().path("certificates").get(0);
        assertThat(row.path("host").asText()).isEqualTo("shop.test");
        assertThat(row.path("issuer").asText()).isEqualTo("Skewgate Test CA");
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + gw.adminPort() + "/metrics"))
                .header("Authorization", "Bearer " + gw.token()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).as("the expiry series for alerts").contains(
                "skewgate_certificate_expiry_timestamp_seconds{host=\"shop.test\"} "
                        + (double) serving.getNotAfter().toInstant().getEpochSecond());
    }

    private String refusalMessage;

    private String refusal(String host, Path cert, Path key) {
        TestGateway.Answer a = gw.admin("POST", "/v1/certificates", Map.of("host", host, "certFile", cert.toString(),
                "keyFile", key.toString()));
        assertThat(a.status()).as(a.body().toString()).isEqualTo(400);
        assertThat(a.body().path("message").asText()).isNotBlank().doesNotContain("Exception");
        refusalMessage = a.body().path("message").asText();
        return a.error();
    }

    /** The leaf certificate the listener presents for {@code sni} (null: no SNI extension). */
    private X509Certificate peer(String sni) throws Exception {
        try (SSLSocket s = socket(sni)) {
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    /** One HTTPS/1.1 request on a new connection: its status line. */
    private String get(String host, String path) throws Exception {
        try (SSLSocket s = socket(host)) {
            return request(s, host, path);
        }
    }

    /** One request on an open connection: its status line, or "" when the connection closed first. */
    private static String request(SSLSocket s, String host, String path) throws IOException {
        try {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/html\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0 && b != '\n') {
                line.write(b);
            }
            return line.toString(StandardCharsets.US_ASCII).trim();
        } catch (java.net.SocketException e) {
            return ""; // closed by the server
        }
    }

    private SSLSocket socket(String sni) throws Exception {
        return socket(null, sni);
    }

    private SSLSocket socket(SSLContext shared, String sni) throws Exception {
        // A context per connection, as browsers keep sessions per host name: the JDK's client would otherwise resume
        // one site's session for another name (all connect to 127.0.0.1); resumedUnderAnotherName tests that case.
        SSLSocket s = (SSLSocket) (shared != null ? shared : ca.trustingContext()).getSocketFactory().createSocket();
        s.connect(new InetSocketAddress("127.0.0.1", gw.gateway().httpsPort()), 5_000);
        s.setSoTimeout(10_000);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        p.setEndpointIdentificationAlgorithm(null); // the names are asserted above; trust is the CA's
        p.setApplicationProtocols(new String[] {"http/1.1"});
        s.setSSLParameters(p);
        return s;
    }

    private static List<String> names(X509Certificate cert) throws Exception {
        List<String> out = new ArrayList<>();
        for (List<?> san : cert.getSubjectAlternativeNames()) {
            out.add(String.valueOf(san.get(1)));
        }
        return out;
    }

    /** curl with the test CA, the host resolved to the listener: first line "HTTP_VERSION STATUS", then the body. */
    private List<String> curl(String version, String url) throws Exception {
        String host = url.replaceFirst("https://", "").replaceFirst(":.*", "");
        Process p = new ProcessBuilder("curl", "-sS", version, "--cacert", ca.caCert().toString(), "--resolve",
                host + ":" + gw.gateway().httpsPort() + ":127.0.0.1", "-H", "Accept: text/html",
                "-w", "\n%{http_version} %{http_code}", url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        int nl = out.lastIndexOf('\n');
        return List.of(out.substring(nl + 1), out.substring(0, nl));
    }
}
