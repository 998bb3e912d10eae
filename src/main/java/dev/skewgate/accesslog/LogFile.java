package dev.skewgate.accesslog;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * An append-only log file rotated by size: when the next line would pass {@code maxBytes}, {@code access.log}
 * becomes {@code access.log.1}, {@code .1} becomes {@code .2} and so on, and the oldest of {@code keep} files goes.
 * Chosen over reopen-on-SIGHUP: it needs no logrotate and no signal handling (the JDK has no public API for SIGHUP),
 * and the disk it can take is bounded by construction. Used by the writer thread only.
 */
final class LogFile implements AutoCloseable {

    private final Path path;
    private final long maxBytes;
    private final int keep;
    private OutputStream out;
    private long size;

    /** @param keep files kept, the current one included (3: access.log, .1, .2) */
    LogFile(Path path, long maxBytes, int keep) throws IOException {
        this.path = path;
        this.maxBytes = maxBytes;
        this.keep = keep;
        open();
    }

    private void open() throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        if (!Files.exists(path)) {
            // Client addresses and paths: owner and group only.
            try {
                Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(path);
            }
        }
        out = Files.newOutputStream(path, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        size = Files.size(path);
    }

    void write(byte[] line) throws IOException {
        if (size > 0 && size + line.length > maxBytes) {
            rotate();
        }
        out.write(line);
        size += line.length;
    }

    void flush() throws IOException {
        out.flush();
    }

    private void rotate() throws IOException {
        out.close();
        Files.deleteIfExists(numbered(keep - 1));
        for (int i = keep - 2; i >= 1; i--) {
            if (Files.exists(numbered(i))) {
                Files.move(numbered(i), numbered(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (keep > 1) {
            Files.move(path, numbered(1), StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.delete(path);
        }
        open();
    }

    private Path numbered(int n) {
        return path.resolveSibling(path.getFileName() + "." + n);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
