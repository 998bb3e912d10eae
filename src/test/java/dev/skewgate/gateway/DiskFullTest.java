package dev.skewgate.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.skewgate.testing.SmallDisk;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full disk under the data directory, on a real 12 MiB tmpfs: writes answer 507 naming the directory and the free
 * space, the edge keeps serving, and everything works again once space is freed, without a restart.
 */
class DiskFullTest {

    @TempDir
    Path temp;
    private SmallDisk disk;
    private Path mount;
    private TestGateway gw;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        disk = SmallDisk.mount(temp.resolve("small"), 12);
        mount = disk.path();
        gw = TestGateway.start(mount.resolve("data"));
        gw.createSite("shop", "shop.test");
        gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>")));
    }

    @AfterEach
    void unmount() throws Exception {
        if (gw != null) {
            gw.close();
        }
        if (disk != null) {
            disk.close();
        }
    }

    @Test
    void fullDiskAnswers507NamingTheDataDirAndRecoversWhenSpaceIsFreed() throws Exception {
        byte[] big = new byte[2 << 20];
        big[0] = 1;
        String sha = TestGateway.sha256(big);
        TestGateway.Answer begun = gw.ok("POST", "/v1/sites/shop/deployments", Map.of("files",
                List.of(Map.of("path", "big.bin", "sha256", sha, "size", big.length)), "message", "big"));
        String id = begun.body().path("deployment").path("id").asText();

        Path filler = disk.fill();

        // Database writes: the WAL may still have room for a few, so write until the disk refuses one.
        TestGateway.Answer refused = null;
        for (int i = 0; i < 500 && refused == null; i++) {
            TestGateway.Answer a = gw.admin("POST", "/v1/sites", Map.of("name", "s" + i, "hosts", List.of("s" + i + ".test")));
            assertTrue(a.status() == 201 || a.status() == 507, "a write on a full disk answered " + a.status() + " " + a.body());
            if (a.status() == 507) {
                refused = a;
            }
        }
        assertTrue(refused != null, "no database write was refused on a full disk");
        assertEquals("INSUFFICIENT_STORAGE", refused.error());
        String message = refused.body().path("message").asText();
        assertTrue(message.contains(mount.resolve("data").toString()), message);
        assertTrue(message.contains("free") && message.contains("database or disk is full"), message);

        // A blob that cannot fit is refused before a byte is written.
        TestGateway.Answer blob = gw.admin("PUT", "/v1/deployments/" + id + "/blobs/" + sha, big);
        assertEquals(507, blob.status(), blob.body().toString());
        assertEquals("INSUFFICIENT_STORAGE", blob.error());
        assertTrue(blob.body().path("message").asText().contains("free"), blob.body().toString());

        // Reads and the edge keep working while the disk is full.
        assertEquals(200, gw.get("shop.test", "/").statusCode());
        assertEquals(200, gw.admin("GET", "/v1/sites/shop", null).status());

        Files.delete(filler);
        assertEquals(201, gw.admin("POST", "/v1/sites", Map.of("name", "after", "hosts", List.of("after.test"))).status());
        assertEquals(201, gw.admin("PUT", "/v1/deployments/" + id + "/blobs/" + sha, big).status());
        assertEquals(200, gw.admin("POST", "/v1/deployments/" + id + "/finalize", Map.of()).status());
    }
}
