package dev.skewgate.store;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Owner-only permissions for the data directory and what holds secrets (a no-op where POSIX modes do not exist). */
public final class FilePermissions {

    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    public static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    public static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** For {@code Files.createFile}: the file is owner-only from its first byte. */
    public static final FileAttribute<?>[] OWNER_ONLY_FILE = POSIX
            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(FILE)} : new FileAttribute<?>[0];

    private FilePermissions() {
    }

    /** Sets the mode if the path exists. */
    public static void restrict(Path path, Set<PosixFilePermission> mode) throws IOException {
        if (POSIX && Files.exists(path)) {
            Files.setPosixFilePermissions(path, mode);
        }
    }
}
