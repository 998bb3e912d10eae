package dev.skewgate.cli;

import dev.skewgate.model.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads a build folder into a manifest: every regular file (not following links), its path, size and sha256. A
 * backend folder is read the same way, but keeps its symbolic links (as links) and the owner-executable bit.
 */
final class BuildScanner {

    /** One file found in the build. */
    record Found(String path, Path file, long size, String sha256) {
    }

    /** One file of a backend folder; {@code executable} when its owner-executable bit is set. */
    record BackendFile(Found found, boolean executable) {
        String mode() {
            return executable ? "exec" : "file";
        }
    }

    /** A symbolic link of a backend folder, its target as written ('/' separators), never followed. */
    record Link(String path, String target) {
    }

    /** What a backend folder holds: its files and its links, both sorted by path. */
    record Backend(List<BackendFile> files, List<Link> links) {
        long bytes() {
            return files.stream().mapToLong(f -> f.found().size()).sum();
        }
    }

    private BuildScanner() {
    }

    static List<Found> scan(Path root) throws IOException {
        return scan(root, HashCache.disabled());
    }

    /** Reads a build folder, taking the sha256 of files unchanged since the last deploy from {@code cache}. */
    static List<Found> scan(Path root, HashCache cache) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new CliException(root + " is not a folder: give the build output folder (e.g. ./dist)");
        }
        List<Found> out = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                return !dir.equals(root) && name.equals(".git") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    String rel = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                    out.add(new Found(rel, file, attrs.size(), null));
                }
                return FileVisitResult.CONTINUE;
            }
        });
        if (out.isEmpty()) {
            throw new CliException(root + " holds no files");
        }
        return hashed(out, cache);
    }

    /**
     * Reads a backend folder: every regular file ({@code node_modules} included, {@code .git} skipped) and every
     * symbolic link, recorded as a link and not followed. The gateway materializes the folder as it is, so what
     * could reach outside it is refused here, before anything is sent: a link with an absolute target or one that
     * climbs out of the folder (from the link's own folder, judged both lexically and following the folder's other
     * links on the way), and devices, FIFOs and sockets (no content to upload; a FIFO would also block the reader).
     */
    static Backend scanBackend(Path folder) throws IOException {
        return scanBackend(folder, HashCache.disabled());
    }

    /** Reads a backend folder as {@link #scanBackend(Path)}, with the sha256 of unchanged files from {@code cache}. */
    static Backend scanBackend(Path folder, HashCache cache) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new CliException(folder + " is not a folder: give the backend's folder (e.g. ./server)");
        }
        // The folder itself may be a link (./server -> ../api); the walk must start inside it, not at the link.
        Path root = folder.toRealPath();
        List<Found> files = new ArrayList<>();
        java.util.Set<String> executable = new java.util.HashSet<>();
        List<Link> links = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                return !dir.equals(root) && name.equals(".git") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String rel = relative(root, file);
                if (attrs.isSymbolicLink()) {
                    links.add(new Link(rel, checkedTarget(root, file, rel)));
                } else if (attrs.isRegularFile()) {
                    files.add(new Found(rel, file, attrs.size(), null));
                    if (ownerExecutable(file)) {
                        executable.add(rel);
                    }
                } else {
                    throw new CliException("cannot deploy " + rel + " in the backend folder " + folder + ": it is a "
                            + "device, FIFO or socket, not a file; remove it or move it out of the folder");
                }
                return FileVisitResult.CONTINUE;
            }
        });
        if (files.isEmpty()) {
            throw new CliException(root + " holds no files");
        }
        List<BackendFile> out = new ArrayList<>();
        for (Found f : hashed(files, cache)) {
            out.add(new BackendFile(f, executable.contains(f.path())));
        }
        out.sort(java.util.Comparator.comparing(f -> f.found().path()));
        links.sort(java.util.Comparator.comparing(Link::path));
        return new Backend(List.copyOf(out), List.copyOf(links));
    }

    private static String checkedTarget(Path root, Path link, String rel) throws IOException {
        Path target = Files.readSymbolicLink(link);
        String written = target.toString().replace(link.getFileSystem().getSeparator(), "/");
        if (target.isAbsolute()) {
            throw new CliException("cannot deploy the link " + rel + " -> " + written + " in the backend folder: its "
                    + "target is an absolute path, which would point elsewhere on the gateway's machine; make it "
                    + "relative or replace the link with the file");
        }
        Path folder = root.relativize(link).getParent();
        Path resolved = (folder == null ? target : folder.resolve(target)).normalize();
        java.util.ArrayDeque<String> from = new java.util.ArrayDeque<>();
        if (folder != null) {
            folder.forEach(part -> from.addLast(part.toString()));
        }
        if (resolved.startsWith("..") || !staysInside(root, from, written, 0)) {
            throw new CliException("cannot deploy the link " + rel + " -> " + written + " in the backend folder: it "
                    + "points outside the folder; copy what it points to into the folder instead");
        }
        return written;
    }

    /**
     * Whether a relative target, read from the folder {@code at}, stays in the folder when every link on its way is
     * followed as the kernel will on the gateway's copy. Lexically alone, {@code x -> l/../secret} looks inside, but
     * with {@code l -> .} it is the parent's {@code secret}. Links too deep to follow end in ELOOP there, reaching
     * nothing, so they count as inside.
     */
    private static boolean staysInside(Path root, java.util.Deque<String> at, String target, int depth) {
        if (depth > MAX_LINK_DEPTH) {
            return true;
        }
        for (String part : target.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (at.isEmpty()) {
                    return false;
                }
                at.removeLast();
                continue;
            }
            at.addLast(part);
            Path here = root.resolve(String.join("/", at));
            if (Files.isSymbolicLink(here)) {
                at.removeLast();
                String next;
                try {
                    next = Files.readSymbolicLink(here).toString();
                } catch (IOException e) {
                    return false;
                }
                if (next.startsWith("/") || !staysInside(root, at, next, depth + 1)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Linux's bound on links followed in one path lookup (ELOOP past it). */
    private static final int MAX_LINK_DEPTH = 40;

    private static boolean ownerExecutable(Path file) throws IOException {
        try {
            return Files.getPosixFilePermissions(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    .contains(java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE);
        } catch (UnsupportedOperationException notPosix) {
            return false; // a file system without permission bits: nothing marks a file executable
        }
    }

    private static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    private static List<Found> hashed(List<Found> found, HashCache cache) {
        // Hash on every core: for a build of thousands of files this is most of the client's own work.
        return found.parallelStream().map(f -> {
            try {
                return new Found(f.path(), f.file(), f.size(), cache.sha256(f.file()));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = Sha256.digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
