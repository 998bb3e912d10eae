package dev.skewgate.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real small tmpfs mounted for a test, to fill up: the test is skipped (with the reason) where mounting is not
 * allowed (needs root or CAP_SYS_ADMIN; CI runs as root).
 */
public final class SmallDisk implements AutoCloseable {

    private final Path mount;

    private SmallDisk(Path mount) {
        this.mount = mount;
    }

    /** Mounts a tmpfs of {@code megabytes} at {@code mount} (created), or skips the test. */
    public static SmallDisk mount(Path mount, int megabytes) throws IOException, InterruptedException {
        Files.createDirectories(mount);
        int rc;
        String why;
        try {
            Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m,mode=0700", "tmpfs",
                    mount.toString()).redirectErrorStream(true).start();
            boolean done = p.waitFor(20, TimeUnit.SECONDS);
            why = new String(p.getInputStream().readAllBytes()).trim();
            rc = done ? p.exitValue() : -1;
        } catch (IOException e) {
            rc = -1;
            why = e.toString();
        }
        assumeTrue(rc == 0, "skipped: mounting a small tmpfs is not allowed here (needs root or CAP_SYS_ADMIN): " + why);
        return new SmallDisk(mount);
    }

    public Path path() {
        return mount;
    }

    /** Writes a file until the file system says it is full; deleting the file frees the space. */
    public Path fill() throws IOException {
        Path file = mount.resolve("filler");
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains("No space left"), e.toString());
        }
        return file;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(20, TimeUnit.SECONDS);
    }
}
