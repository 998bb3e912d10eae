package dev.skewgate.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * Compressed variants of blobs, beside them in the blob folder: {@code variants/ab/<identity sha256>.<key>}, where
 * the key names the coding and the compressor settings ({@code br-11-22}). Content-addressed like the blobs, so one
 * variant serves every deployment and site that has the identity blob. Written like a blob (temp file, fsync,
 * rename, fsync of the folder): a crash leaves the whole variant or none. An empty file records that the variant
 * was not worth keeping (not smaller than the identity by the margin), so it is not computed again after a restart.
 */
public final class VariantFiles {

    private final Path root;
    private final Path tmp;

    VariantFiles(Path root) {
        this.root = root;
        this.tmp = root.resolve(".tmp");
        FileBlobStore.emptyTempFolder(tmp, "variant folder " + root);
    }

    /** What is known about one variant. */
    public sealed interface Lookup permits Stored, NotWorthIt, Missing {
    }

    /** The variant is stored: {@code length} bytes at {@code path}. */
    public record Stored(Path path, long length) implements Lookup {
    }

    /** The variant was computed and dropped: not smaller than the identity by the margin. */
    public record NotWorthIt() implements Lookup {
    }

    /** Never computed (or lost): compute it. */
    public record Missing() implements Lookup {
    }

    public Path path(String sha256, String key) {
        return root.resolve(sha256.substring(0, 2)).resolve(sha256 + "." + key);
    }

    public Lookup find(String sha256, String key) {
        try {
            long length = Files.size(path(sha256, key));
            return length == 0 ? new NotWorthIt() : new Stored(path(sha256, key), length);
        } catch (IOException e) {
            return new Missing();
        }
    }

    /** A fresh temp file in the variant folder's own temp folder, for {@link #commit} or deletion. */
    public Path newTemp(String sha256, String key) {
        return tmp.resolve(sha256 + "." + key + "." + UUID.randomUUID());
    }

    /** Makes a fully written temp file the variant, durably; an empty one records "not worth it". */
    public void commit(Path temp, String sha256, String key) throws IOException {
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Path target = path(sha256, key);
        Files.createDirectories(target.getParent());
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        FileBlobStore.fsyncDirectory(target.getParent());
    }

    /** Records that the variant was computed and is not worth keeping. */
    public void markNotWorthIt(String sha256, String key) throws IOException {
        Path temp = newTemp(sha256, key);
        Files.write(temp, new byte[0], StandardOpenOption.CREATE_NEW);
        commit(temp, sha256, key);
    }

    /** Deletes every variant of one identity blob (the blob itself is being deleted). */
    public void deleteAll(String sha256) throws IOException {
        Path shard = root.resolve(sha256.substring(0, 2));
        if (!Files.isDirectory(shard)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(shard, sha256 + ".*")) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }

    /**
     * Deletes the variants whose identity blob is gone (deleted while its variant was being written) or whose key
     * is no longer one the gateway computes (changed compressor settings); returns how many.
     */
    public int sweep(Predicate<String> blobExists, Set<String> currentKeys) throws IOException {
        int deleted = 0;
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(root, p -> p.getFileName().toString().length() == 2)) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path f : files) {
                        String name = f.getFileName().toString();
                        int dot = name.indexOf('.');
                        if (dot < 0 || !currentKeys.contains(name.substring(dot + 1))
                                || !blobExists.test(name.substring(0, dot))) {
                            Files.deleteIfExists(f);
                            deleted++;
                        }
                    }
                }
            }
        }
        return deleted;
    }
}
