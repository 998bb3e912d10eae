package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.config.AcmeSettings;
import dev.skewgate.testing.Await;
import dev.skewgate.testing.Pebble;
import dev.skewgate.testing.SmallDisk;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TlsPeer;
import dev.skewgate.tls.Pem;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A renewal from real pebble onto a full disk (a real 12 MiB tmpfs under the data directory): the certificate that
 * works keeps serving, the error says the disk is full, no half-written file is left, and the retry after the backoff
 * stores and serves the new certificate once space is freed; a restart loads it, finishing a renewal that a stop cut
 * between its two renames and removing leftover temp files.
 */
class AcmeDiskFullTest {

    @TempDir
    Path dir;
    SmallDisk disk;
    Pebble pebble;
    TestGateway gw;

    @BeforeEach
    void start() throws Exception {
        disk = SmallDisk.mount(dir.resolve("small"), 12);
        int plain = Pebble.freePort();
        pebble = Pebble.start(dir.resolve("pebble"), plain);
        gw = TestGateway.start(disk.path().resolve("data"), s -> s.withEdgePort(plain).withHttps(0).withAcme(
                new AcmeSettings(true, pebble.directory(), Optional.empty(), Optional.of(pebble.listenerCert()),
                        AcmeSettings.Challenge.HTTP_01)));
    }

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (pebble != null) {
            pebble.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void aRenewalOntoAFullDiskKeepsTheOldCertificateAndTheRetryStoresTheNewOneOnceSpaceIsFreed() throws Exception {
        Path acme = disk.path().resolve("data/tls/acme");
        gw.createSite("shop", "shop.test");
        Await.until("a certificate issued for shop.test", 60_000, () -> gw.certificate("shop.test").path("notAfter").isTextual());
        BigInteger first = served();
        String firstPem = Files.readString(acme.resolve("shop.test.pem"));

        Path filler = disk.fill();
        TestGateway.Answer failed = gw.admin("POST", "/v1/certificates/shop.test/renew", Map.of());
        assertThat(failed.status()).as(failed.body().toString()).isEqualTo(200);
        String error = failed.body().path("error").asText();
        System.out.println("renewal onto a full disk: " + error);
        assertThat(error).contains("storing the certificate for shop.test failed: the disk of the data directory",
                "is full", "No space left on device", "nothing was changed");
        assertThat(served()).as("the working certificate keeps serving").isEqualTo(first);
        assertThat(stored(acme)).as("the files on disk are still the old pair").isEqualTo(first);
        try (Stream<Path> files = Files.list(acme)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no half-written file")
                    .noneMatch(n -> n.endsWith(".tmp"));
        }
        JsonNode alert = null;
        for (JsonNode a : gw.ok("GET", "/v1/sites/shop/status", null).body().path("alerts")) {
            if (a.path("kind").asText().equals("CERTIFICATE_ORDER_FAILED")) {
                alert = a;
            }
        }
        assertThat(alert).isNotNull();
        assertThat(alert.path("message").asText()).contains("is full", "the current certificate keeps serving");
        assertThat(failed.body().path("nextAttempt").isTextual()).isTrue();

        Files.delete(filler);
        Await.until("the retry after the backoff (1 min) stores and serves a new certificate", 120_000,
                () -> gw.certificate("shop.test").path("error").isNull() && !served().equals(first));
        BigInteger second = served();
        assertThat(stored(acme)).isEqualTo(second);

        // a stop between the two renames of a renewal: the new key in place, its certificate still in its temp file
        Files.move(acme.resolve("shop.test.pem"), acme.resolve(".shop.test.pem.tmp"));
        Files.writeString(acme.resolve("shop.test.pem"), firstPem);
        Files.writeString(acme.resolve(".shop.test.key.tmp"), "half a key");
        gw.restart();
        Await.until("the stored certificate loaded after a restart", 30_000,
                () -> gw.certificate("shop.test").path("notAfter").isTextual());
        assertThat(served()).as("the interrupted renewal is finished, not ordered again").isEqualTo(second);
        assertThat(stored(acme)).isEqualTo(second);
        assertThat(acme.resolve(".shop.test.pem.tmp")).doesNotExist();
        assertThat(acme.resolve(".shop.test.key.tmp")).as("a leftover temp file is removed").doesNotExist();
    }

    /** The serial of the leaf stored in the data directory. */
    private static BigInteger stored(Path acme) throws Exception {
        return Pem.certificates(Files.readString(acme.resolve("shop.test.pem"))).get(0).getSerialNumber();
    }

    /** The serial of the certificate the HTTPS listener presents for shop.test. */
    private BigInteger served() {
        try {
            return TlsPeer.leaf(gw.gateway().httpsPort(), "shop.test").getSerialNumber();
        } catch (Exception e) {
            throw new AssertionError("no certificate served for shop.test: " + e, e);
        }
    }
}
