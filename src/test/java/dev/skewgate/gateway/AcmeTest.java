package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.config.AcmeSettings;
import dev.skewgate.testing.Pebble;
import dev.skewgate.testing.TestCerts;
import dev.skewgate.testing.TestGateway;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic certificates against a real ACME server (Debian's pebble): a site's host gets a certificate without a
 * restart, it is served over HTTP/2 and trusted through pebble's root, a renewal swaps it, and a renewal whose
 * challenge fails keeps the working certificate serving and says why.
 */
class AcmeTest {

    @TempDir
    Path dir;
    Pebble pebble;
    TestGateway gw;

    @BeforeEach
    void start() throws Exception {
        int plain = Pebble.freePort();
        pebble = Pebble.start(dir.resolve("pebble"), plain);
        gw = TestGateway.start(dir.resolve("data"), s -> s.withEdgePort(plain).withHttps(0).withAcme(new AcmeSettings(
                true, pebble.directory(), Optional.of("ops@shop.test"), Optional.of(pebble.listenerCert()),
                AcmeSettings.Challenge.HTTP_01)));
    }

    /** The CA validates over TLS-ALPN-01 on the HTTPS port; its HTTP-01 port is one nobody listens on. */
    private void restartAnsweringTlsAlpn01() throws Exception {
        stop();
        int tls = Pebble.freePort();
        pebble = Pebble.start(dir.resolve("pebble-alpn"), Pebble.freePort(), tls);
        gw = TestGateway.start(dir.resolve("data-alpn"), s -> s.withHttps(tls).withAcme(
                new AcmeSettings(true, pebble.directory(), Optional.empty(), Optional.of(pebble.listenerCert()),
                        AcmeSettings.Challenge.TLS_ALPN_01)));
    }

    @Test
    void tlsAlpn01IssuesOnTheHttpsPortAndOrdinaryHandshakesNeverSeeTheChallengeCertificate() throws Exception {
        restartAnsweringTlsAlpn01();
        gw.createSite("shop", "shop.test");
        // while the order runs, every ordinary handshake gets no certificate or the issued one, never the challenge's
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!certificate("shop.test").path("notAfter").isTextual()) {
            assertThat(System.nanoTime()).as("a certificate issued for shop.test over TLS-ALPN-01").isLessThan(deadline);
            try {
                assertThat(served("shop.test").getExtensionValue("1.3.6.1.5.5.7.1.31")).as("a challenge certificate")
                        .isNull();
            } catch (javax.net.ssl.SSLException noCertificateYet) {
                // the handshake fails until the certificate is there
            }
            Thread.sleep(20);
        }
        assertThat(certificate("shop.test").path("issuer").asText()).startsWith("Pebble");
        gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<p>shop</p>")));
        Process curl = new ProcessBuilder("curl", "-sS", "--http2", "--cacert", pebble.root().toString(), "--resolve",
                "shop.test:" + gw.gateway().httpsPort() + ":127.0.0.1", "-H", "Accept: text/html",
                "https://shop.test:" + gw.gateway().httpsPort() + "/").redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("<p>shop</p>");
        Process alpn = new ProcessBuilder("openssl", "s_client", "-connect", "127.0.0.1:" + gw.gateway().httpsPort(),
                "-servername", "shop.test", "-alpn", "acme-tls/1").redirectErrorStream(true).start();
        alpn.getOutputStream().close();
        String hello = new String(alpn.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(alpn.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(hello).as("no challenge pending: an acme-tls/1 handshake gets no certificate")
                .doesNotContain("BEGIN CERTIFICATE");
    }

    @AfterEach
    void stop() throws Exception {
        gw.close();
        pebble.close();
    }

    @Test
    void aNewSitesHostGetsACertificateThatRenewsAndAFailedRenewalKeepsItServing() throws Exception {
        gw.createSite("shop", "shop.test");
        await("a certificate issued for shop.test", 60_000, () -> certificate("shop.test").path("notAfter").isTextual());
        JsonNode issued = certificate("shop.test");
        assertThat(issued.path("source").asText()).isEqualTo("acme");
        assertThat(issued.path("issuer").asText()).startsWith("Pebble");
        gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<p>shop</p>")));

        Path root = pebble.root();
        Process curl = new ProcessBuilder("curl", "-sS", "--http2", "--cacert", root.toString(), "--resolve",
                "shop.test:" + gw.gateway().httpsPort() + ":127.0.0.1", "-H", "Accept: text/html", "-w",
                "\n%{http_version}", "https://shop.test:" + gw.gateway().httpsPort() + "/").redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("trusted through pebble's root, over HTTP/2").contains("<p>shop</p>").endsWith("\n2");

        BigInteger first = served("shop.test").getSerialNumber();
        TestGateway.Answer renewed = gw.admin("POST", "/v1/certificates/shop.test/renew", Map.of());
        assertThat(renewed.status()).as(renewed.body().toString()).isEqualTo(200);
        BigInteger second = served("shop.test").getSerialNumber();
        assertThat(second).as("the renewed certificate is served").isNotEqualTo(first);

        pebble.breakDns();
        TestGateway.Answer failed = gw.admin("POST", "/v1/certificates/shop.test/renew", Map.of());
        assertThat(failed.body().path("error").asText()).isNotBlank();
        assertThat(served("shop.test").getSerialNumber()).as("the working certificate keeps serving").isEqualTo(second);
        JsonNode alert = null;
        for (JsonNode a : gw.ok("GET", "/v1/sites/shop/status", null).body().path("alerts")) {
            if (a.path("kind").asText().equals("CERTIFICATE_ORDER_FAILED")) {
                alert = a;
            }
        }
        assertThat(alert).isNotNull();
        assertThat(alert.path("message").asText()).contains("shop.test", "the current certificate keeps serving");
    }

    @Test
    void aHostWithAFileCertificateOrUnderLocalhostIsNotOrdered() throws Exception {
        TestCerts ca = TestCerts.ca(dir.resolve("certs"));
        TestCerts.Leaf leaf = ca.leaf("own", "ec", 2, "own.test");
        gw.ok("POST", "/v1/certificates", Map.of("host", "own.test", "certFile", leaf.cert().toString(),
                "keyFile", leaf.key().toString()));
        gw.createSite("mine", "own.test", "mine.localhost");
        Thread.sleep(4_000); // two polls
        List<String> sources = gw.ok("GET", "/v1/certificates", null).body().path("certificates").findValuesAsText("source");
        assertThat(sources).containsExactly("file");
    }

    private JsonNode certificate(String host) {
        for (JsonNode c : gw.ok("GET", "/v1/certificates", null).body().path("certificates")) {
            if (c.path("host").asText().equals(host)) {
                return c;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /** The certificate the HTTPS listener presents for {@code host} (trust-all: the serial is what is compared). */
    private X509Certificate served(String host) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] c, String a) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", gw.gateway().httpsPort()), 5_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(host)));
            s.setSSLParameters(p);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private static void await(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within " + millis + " ms: " + what);
            }
            Thread.sleep(200);
        }
    }
}
