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

/** Reads a build folder into a manifest: every regular file (not following links), its path, size and sha256. */
final class BuildScanner {

    /** One file found in the build. */
    record Found(String path, Path file, long size, String sha256) {
    }

    private BuildScanner() {
    }

    static List<Found> scan(Path root) throws IOException {
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
        // Hash on every core: for a build of thousands of files this is most of the client's own work.
        return out.parallelStream().map(f -> {
            try {
                return new Found(f.path(), f.file(), f.size(), sha256(f.file()));
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
