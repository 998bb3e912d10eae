package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.config.AcmeSettings;
import dev.skewgate.testing.Await;
import dev.skewgate.testing.Pebble;
import dev.skewgate.testing.RateLimitingCa;
import dev.skewgate.testing.TestCerts;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TlsPeer;
import java.math.BigInteger;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Automatic certificates against a real ACME server (Debian's pebble): a site's host gets a certificate without a
 * restart, it is served over HTTP/2 and trusted through pebble's root, a renewal swaps it, a renewal whose
 * challenge fails keeps the working certificate serving and says why in words, and a CA's rate limit (a real HTTPS
 * directory in front of pebble, which cannot emulate one) is waited out.
 */
class AcmeTest {

    @TempDir
    Path dir;
    Pebble pebble;
    int plain;
    TestGateway gw;
    RateLimitingCa limiting;

    @BeforeEach
    void start() throws Exception {
        plain = Pebble.freePort();
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
        while (!gw.certificate("shop.test").path("notAfter").isTextual()) {
            assertThat(System.nanoTime()).as("a certificate issued for shop.test over TLS-ALPN-01").isLessThan(deadline);
            try {
                assertThat(served("shop.test").getExtensionValue("1.3.6.1.5.5.7.1.31")).as("a challenge certificate")
                        .isNull();
            } catch (javax.net.ssl.SSLException noCertificateYet) {
                // the handshake fails until the certificate is there
            }
            Thread.sleep(20);
        }
        assertThat(gw.certificate("shop.test").path("issuer").asText()).startsWith("Pebble");
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
        if (limiting != null) {
            limiting.close();
        }
        pebble.close();
    }

    /** The gateway restarted on a fresh data directory, ordering from {@code directory} (validated by pebble). */
    private void restartOrderingFrom(URI directory) throws Exception {
        gw.close();
        gw = TestGateway.start(dir.resolve("data-" + directory.getPort()), s -> s.withEdgePort(plain).withHttps(0)
                .withAcme(new AcmeSettings(true, directory, Optional.of("ops@shop.test"),
                        Optional.of(pebble.listenerCert()), AcmeSettings.Challenge.HTTP_01)));
    }

    @Test
    void aNewSitesHostGetsACertificateThatRenewsAndAFailedRenewalKeepsItServing() throws Exception {
        gw.createSite("shop", "shop.test");
        Await.until("a certificate issued for shop.test", 60_000, () -> gw.certificate("shop.test").path("notAfter").isTextual());
        JsonNode issued = gw.certificate("shop.test");
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
        String message = alert.path("message").asText();
        System.out.println("failed challenge, as status shows it: " + message);
        assertThat(message).contains("shop.test", "the current certificate keeps serving",
                "the CA could not validate shop.test over HTTP-01: ", "the name's DNS must point at this gateway")
                .doesNotContain("Exception", "urn:ietf", "org.shredzone");
    }

    @Test
    void aRateLimitedOrderWaitsForTheCasRetryAfterAndNeverLessThanTheBackoff() throws Exception {
        Instant later = Instant.now().plus(Duration.ofHours(2)).truncatedTo(ChronoUnit.SECONDS);
        limiting = RateLimitingCa.start(pebble, host -> host.equals("later.test")
                ? DateTimeFormatter.RFC_1123_DATE_TIME.format(later.atZone(ZoneOffset.UTC)) : "2");
        restartOrderingFrom(limiting.directory());
        Instant created = Instant.now();
        gw.createSite("shop", "soon.test", "later.test");
        Await.until("both orders rate-limited", 60_000, () -> gw.certificate("soon.test").path("rateLimitedUntil")
                .isTextual() && gw.certificate("later.test").path("rateLimitedUntil").isTextual());

        JsonNode far = gw.certificate("later.test");
        assertThat(far.path("error").asText()).startsWith("rate limited by the CA until " + later + ": too many "
                + "certificates").contains("see https://letsencrypt.org/docs/rate-limits/");
        assertThat(far.path("rateLimitedUntil").asText()).isEqualTo(later.toString());
        assertThat(far.path("nextAttempt").asText()).as("not before the CA's Retry-After").isEqualTo(later.toString());
        JsonNode near = gw.certificate("soon.test");
        Instant nearUntil = Instant.parse(near.path("rateLimitedUntil").asText());
        assertThat(Instant.parse(near.path("nextAttempt").asText())).as("never sooner than the ordinary backoff")
                .isAfterOrEqualTo(created.plus(Duration.ofMinutes(1)));

        JsonNode alert = null;
        for (JsonNode a : gw.ok("GET", "/v1/sites/shop/status", null).body().path("alerts")) {
            if (a.path("kind").asText().equals("CERTIFICATE_RATE_LIMITED") && a.path("host").asText().equals("later.test")) {
                alert = a;
            }
        }
        assertThat(alert).isNotNull();
        assertThat(alert.path("message").asText()).contains("until " + later, "the host has no certificate yet",
                "orders again at " + later);
        TestGateway.Answer now = gw.admin("POST", "/v1/certificates/later.test/renew", Map.of());
        assertThat(now.status()).isEqualTo(409);
        assertThat(now.error()).isEqualTo("CA_RATE_LIMITED");
        assertThat(now.body().path("message").asText()).contains("until " + later);

        Await.until("soon.test's Retry-After passed", 10_000, () -> Instant.now().isAfter(nearUntil));
        assertThat(limiting.refusedOrders("soon.test")).as("asked once, not on every pass").isEqualTo(1);
        assertThat(limiting.refusedOrders("later.test")).isEqualTo(1);
        limiting.lift();
        TestGateway.Answer renewed = gw.admin("POST", "/v1/certificates/soon.test/renew", Map.of());
        assertThat(renewed.status()).as(renewed.body().toString()).isEqualTo(200);
        assertThat(renewed.body().path("error").isNull()).as(renewed.body().toString()).isTrue();
        assertThat(renewed.body().path("rateLimitedUntil").isNull()).isTrue();
        assertThat(served("soon.test").getIssuerX500Principal().getName()).contains("Pebble");
        assertThat(gw.admin("POST", "/v1/certificates/later.test/renew", Map.of()).status())
                .as("later.test still waits for its own Retry-After").isEqualTo(409);
        assertThat(limiting.refusedOrders("later.test")).isEqualTo(1);
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

    /** The certificate the HTTPS listener presents for {@code host}. */
    private X509Certificate served(String host) throws Exception {
        return TlsPeer.leaf(gw.gateway().httpsPort(), host);
    }
}
