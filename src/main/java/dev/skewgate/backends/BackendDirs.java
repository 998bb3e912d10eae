package dev.skewgate.backends;

import dev.skewgate.model.BackendFile;
import dev.skewgate.store.BlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Each managed deployment's own read-only copy of its backend folder, {@code data/backends/<deployment>}, written once
 * from the blob store: built in a temporary folder and renamed into place, so a crash midway leaves no half folder that
 * looks complete. Copies rather than hard links: a link would share the blob's inode, and a backend running as the
 * gateway's user could chmod and rewrite a blob that other deployments serve.
 */
final class BackendDirs {

    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("r--r-----");
    private static final Set<PosixFilePermission> EXEC = PosixFilePermissions.fromString("r-xr-x---");
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("r-xr-x---");
    private static final Set<PosixFilePermission> WRITABLE_DIR = PosixFilePermissions.fromString("rwx------");

    private final Path root;
    private final BlobStore blobs;

    BackendDirs(Path root, BlobStore blobs) {
        this.root = root.toAbsolutePath().normalize();
        this.blobs = blobs;
    }

    /** Removes what a crash left half-written. */
    void clean() {
        try {
            Files.createDirectories(root);
            try (Stream<Path> list = Files.list(root)) {
                for (Path p : list.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) {
                    delete(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + root, e);
        }
    }

    Path of(String deployment) {
        return root.resolve(deployment);
    }

    /** The deployment's folder, written now if it is not there yet. */
    Path materialize(String deployment, List<BackendFile> files) {
        Path target = of(deployment);
        if (Files.isDirectory(target)) {
            return target;
        }
        Path tmp = root.resolve(".tmp-" + deployment + "-" + System.nanoTime());
        try {
            blobs.fetch(files.stream().filter(f -> !f.isLink()).map(BackendFile::sha256).toList());
            Files.createDirectories(tmp);
            List<Path> dirs = new ArrayList<>();
            for (BackendFile f : files) {
                Path to = tmp.resolve(f.path());
                if (!to.normalize().startsWith(tmp)) {
                    throw new IOException("'" + f.path() + "' is outside the folder"); // the rules refused it already
                }
                Files.createDirectories(to.getParent());
                if (f.isLink()) {
                    Files.createSymbolicLink(to, Path.of(f.link().get()));
                } else {
                    Files.copy(blobs.path(f.sha256()), to, StandardCopyOption.COPY_ATTRIBUTES);
                    Files.setPosixFilePermissions(to, f.executable() ? EXEC : FILE);
                }
            }
            Files.walkFileTree(tmp, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    dirs.add(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
            for (Path d : dirs) {
                if (!d.equals(tmp)) {
                    Files.setPosixFilePermissions(d, DIR);
                }
            }
            Files.setPosixFilePermissions(tmp, DIR);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            delete(tmp);
            throw new UncheckedIOException("cannot write the backend folder of " + deployment + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a deployment's folder (purged: nothing will run it again). */
    void remove(String deployment) {
        delete(of(deployment));
    }

    /** Deletes a tree whose folders were made read-only: each is made writable first. */
    static void delete(Path top) {
        if (!Files.exists(top, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(top, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Files.setPosixFilePermissions(dir, WRITABLE_DIR);
                    return FileVisitResult.CONTINUE;
                }
            });
            try (Stream<Path> walk = Files.walk(top)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(BackendDirs.class).warn("could not delete {}: {}", top, e.toString());
        }
    }
}
