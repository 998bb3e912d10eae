package dev.skewgate.store;

import dev.skewgate.model.InsufficientStorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Free space of the data directory's file system, and the one way a full disk is reported. */
public final class DiskSpace {

    /** Room kept beyond an upload's own size: the database, its WAL and the temp file's metadata need some too. */
    public static final long HEADROOM = 1L << 20;

    private DiskSpace() {
    }

    /** Bytes an unprivileged writer can still use under {@code dir}, or -1 when the file system cannot say. */
    public static long usable(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Refuses up front a write of {@code bytes} that cannot fit (with {@link #HEADROOM} to spare). */
    public static void require(Path dir, long bytes, String what) {
        long free = usable(dir);
        if (free >= 0 && free < bytes + HEADROOM) {
            throw new InsufficientStorageException(what + " needs " + human(bytes) + " but the data directory "
                    + dir.toAbsolutePath().normalize() + " has " + human(free) + " free; free some space and retry", null);
        }
    }

    /** The error for a write that failed because the disk filled up, keeping the real cause. */
    public static InsufficientStorageException full(Path dir, String what, Throwable cause) {
        long free = usable(dir);
        return new InsufficientStorageException(what + " failed: the disk of the data directory "
                + dir.toAbsolutePath().normalize() + " is full (" + (free < 0 ? "free space unknown" : human(free) + " free")
                + "); nothing was changed, retry once space is freed. Cause: " + cause.getMessage(), cause);
    }

    /** Whether an I/O failure is "no space left on device" (ENOSPC) or a quota (EDQUOT). */
    public static boolean isFull(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            String m = c.getMessage();
            if (m != null) {
                String lower = m.toLowerCase(Locale.ROOT);
                if (lower.contains("no space left") || lower.contains("disk quota exceeded")
                        || lower.contains("database or disk is full") || lower.contains("sqlite_full")) {
                    return true;
                }
            }
        }
        return false;
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1L << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1L << 30) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
