package dev.skewgate.certs;

import dev.skewgate.store.FilePermissions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Owner-only files written crash-safely: a temp file, fsync, rename over, fsync of the folder. A write that fails
 * (a full disk) removes its temp files and leaves every file as it was.
 */
final class SecureFiles {

    private SecureFiles() {
    }

    static void write(Path file, byte[] content) throws IOException {
        writeAll(Map.of(file, content));
    }

    /**
     * Writes every file's temp first and renames them over only once all are on disk, in the map's order: a full disk
     * replaces none of them. A crash between two renames is what {@link #temp} lets the reader finish.
     */
    static void writeAll(Map<Path, byte[]> files) throws IOException {
        Map<Path, Path> temps = new LinkedHashMap<>();
        try {
            for (Map.Entry<Path, byte[]> e : files.entrySet()) {
                Path dir = e.getKey().toAbsolutePath().getParent();
                Files.createDirectories(dir);
                FilePermissions.restrict(dir, FilePermissions.DIR);
                Path temp = temp(e.getKey());
                temps.put(e.getKey(), temp);
                Files.deleteIfExists(temp);
                Files.createFile(temp, FilePermissions.OWNER_ONLY_FILE);
                try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    ByteBuffer buffer = ByteBuffer.wrap(e.getValue());
                    while (buffer.hasRemaining()) {
                        ch.write(buffer);
                    }
                    ch.force(true);
                } catch (IOException failed) {
                    throw new IOException("cannot write " + e.getKey() + ": " + failed.getMessage(), failed);
                }
            }
        } catch (IOException e) {
            for (Path temp : temps.values()) {
                Files.deleteIfExists(temp);
            }
            throw e;
        }
        List<Path> dirs = new ArrayList<>();
        for (Map.Entry<Path, Path> e : temps.entrySet()) {
            Files.move(e.getValue(), e.getKey(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Path dir = e.getKey().toAbsolutePath().getParent();
            if (!dirs.contains(dir)) {
                dirs.add(dir);
            }
        }
        for (Path dir : dirs) {
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        }
    }

    /** Where {@code file}'s next content is written before it is renamed over it. */
    static Path temp(Path file) {
        return file.toAbsolutePath().getParent().resolve("." + file.getFileName() + ".tmp");
    }
}
