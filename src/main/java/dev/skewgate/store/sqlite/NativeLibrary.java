package dev.skewgate.store.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads SQLite's native library from a copy kept in the data directory. Left to itself, sqlite-jdbc writes the
 * library (1 MB) to a new file in /tmp at every start and compares it with the jar's copy byte by byte: 0.3-0.4 s of
 * a gateway's start on a 2-core machine, against 0.05 s for loading a kept copy (bench/startup.sh). The copy is named
 * after the jar it came from (path, size, modification time), so a new jar extracts a new one; the data directory is
 * owner-only, so nobody else can put a library there. Anything unexpected leaves sqlite-jdbc to load it its own way.
 */
final class NativeLibrary {

    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);
    private static final String PATH = "org.sqlite.lib.path";
    private static final String NAME = "org.sqlite.lib.name";

    private NativeLibrary() {
    }

    /** Loads the kept copy under {@code dataDir}, extracting it first when missing; once per JVM. */
    static synchronized void load(Path dataDir) {
        if (System.getProperty(PATH) != null) {
            return; // loaded already, or the operator chose a library
        }
        try {
            String resource = org.sqlite.util.LibraryLoaderUtil.getNativeLibResourcePath() + "/"
                    + org.sqlite.util.LibraryLoaderUtil.getNativeLibName();
            URL url = org.sqlite.SQLiteJDBCLoader.class.getResource(resource);
            if (url == null || !"jar".equals(url.getProtocol())) {
                return;
            }
            Path jar = Path.of(((JarURLConnection) url.openConnection()).getJarFileURL().toURI());
            CRC32 key = new CRC32();
            key.update((jar.toAbsolutePath() + "\n" + Files.size(jar) + "\n" + Files.getLastModifiedTime(jar).toMillis()
                    + "\n" + resource).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            Path dir = dataDir.resolve("native");
            Path copy = dir.resolve("sqlite-" + Long.toHexString(key.getValue()) + "-"
                    + org.sqlite.util.LibraryLoaderUtil.getNativeLibName());
            if (!Files.isRegularFile(copy)) {
                extract(url, dir, copy);
            }
            System.load(copy.toString());
            System.setProperty(PATH, dir.toString());
            System.setProperty(NAME, copy.getFileName().toString());
        } catch (IOException | java.net.URISyntaxException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.debug("SQLite's native library: no kept copy ({}); sqlite-jdbc extracts its own", e.toString());
        }
    }

    /** Writes the library next to where it goes and renames it there, removing copies from other jars. */
    private static void extract(URL url, Path dir, Path copy) throws IOException {
        Files.createDirectories(dir);
        try (var old = Files.list(dir)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Path temp = Files.createTempFile(dir, "extract-", ".tmp");
        try (InputStream in = url.openStream()) {
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temp, copy, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
