package dev.skewgate.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Webhook secrets are encrypted in the database, and the data directory and database are owner-only. */
class SecretsAtRestTest {

    @TempDir
    Path dir;

    private static String stored(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT webhook_secrets FROM sites WHERE name='shop'")) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void aRotatedSecretIsStoredEncryptedAndReadBackAsItWas() throws Exception {
        Path data = dir.resolve("data");
        try (TestGateway gw = TestGateway.start(data)) {
            gw.createSite("shop", "shop.test");
            String secret = gw.ok("POST", "/v1/sites/shop/webhook-secrets", null).body().path("secret").asText();
            String raw = stored(data.resolve("skewgate.db"));
            assertThat(raw).doesNotContain(secret).contains("enc:v1:");
            assertThat(gw.gateway().control().sites().get("shop").webhookSecrets()).containsExactly(secret);
            assertThat(mode(data.resolve(SecretBox.KEY_FILE))).isEqualTo("rw-------");
        }
    }

    @Test
    void plaintextSecretsOfAnOlderVersionAreEncryptedAtStartAndLooseModesTightened() throws Exception {
        Path data = dir.resolve("data");
        Path db = data.resolve("skewgate.db");
        try (TestGateway gw = TestGateway.start(data)) {
            gw.createSite("shop", "shop.test");
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE sites SET webhook_secrets='[\"whsec_plain\"]' WHERE name='shop'");
        }
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));
        try (TestGateway gw = TestGateway.start(data)) {
            assertThat(stored(db)).doesNotContain("whsec_plain").contains("enc:v1:");
            assertThat(gw.gateway().control().sites().get("shop").webhookSecrets()).isEqualTo(List.of("whsec_plain"));
            assertThat(mode(data)).isEqualTo("rwx------");
            for (String f : List.of("skewgate.db", "skewgate.db-wal", "skewgate.db-shm")) {
                if (Files.exists(data.resolve(f))) {
                    assertThat(mode(data.resolve(f))).as(f).isEqualTo("rw-------");
                }
            }
            assertThat(data.resolve("skewgate.db-wal")).exists();
        }
    }
}
