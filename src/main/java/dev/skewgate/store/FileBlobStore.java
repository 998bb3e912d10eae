package dev.skewgate.store;

import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.Sha256;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.UUID;

/**
 * Blobs as files under one folder, {@code ab/abcdef...}: written to a temp file, fsynced, renamed into place and
 * the folder fsynced, so a crash leaves either the whole blob or nothing (plus a temp file removed at start).
 * Compressed variants live in {@code variants/} ({@link VariantFiles}) and are deleted with their blob.
 */
public final class FileBlobStore implements BlobStore {

    private final Path root;
    private final Path tmp;
    private final VariantFiles variants;

    public FileBlobStore(Path root) {
        this.root = root;
        this.tmp = root.resolve(".tmp");
        emptyTempFolder(tmp, "blob folder " + root);
        this.variants = new VariantFiles(root.resolve("variants"));
    }

    /** Creates a temp folder, or empties it of what a crash left half-written. */
    static void emptyTempFolder(Path tmp, String what) {
        try {
            Files.createDirectories(tmp);
            try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tmp)) {
                for (Path p : leftovers) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + what, e);
        }
    }

    @Override
    public boolean has(String sha256) {
        return Files.isRegularFile(path(sha256));
    }

    @Override
    public Path path(String sha256) {
        return root.resolve(sha256.substring(0, 2)).resolve(sha256);
    }

    @Override
    public BlobUpload open(String sha256, long size) throws IOException {
        DiskSpace.require(root, size, "blob " + sha256);
        Path temp = tmp.resolve(sha256 + "." + UUID.randomUUID());
        FileChannel out;
        try {
            out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw full(e, "creating blob " + sha256);
        }
        return new Upload(sha256, size, temp, out);
    }

    private final class Upload implements BlobUpload {
        private final String sha256;
        private final long size;
        private final Path temp;
        private final FileChannel out;
        private final MessageDigest digest = Sha256.digest();
        private long written;
        private boolean done;

        Upload(String sha256, long size, Path temp, FileChannel out) {
            this.sha256 = sha256;
            this.size = size;
            this.temp = temp;
            this.out = out;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            written += length;
            if (written > size) {
                throw new InvalidRequestException("BLOB_SIZE_MISMATCH",
                        "blob " + sha256 + " is longer than the " + size + " bytes the manifest declares");
            }
            digest.update(bytes, offset, length);
            ByteBuffer buf = ByteBuffer.wrap(bytes, offset, length);
            try {
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
            } catch (IOException e) {
                throw full(e, "writing blob " + sha256);
            }
        }

        @Override
        public void commit() throws IOException {
            if (written != size) {
                throw new InvalidRequestException("UPLOAD_TRUNCATED",
                        "blob " + sha256 + " stopped after " + written + " of " + size + " bytes");
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(sha256)) {
                throw new InvalidRequestException("BLOB_HASH_MISMATCH",
                        "the uploaded bytes hash to " + actual + ", not " + sha256);
            }
            try {
                out.force(true);
                out.close();
                Path target = path(sha256);
                Files.createDirectories(target.getParent());
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                fsyncDirectory(target.getParent());
            } catch (IOException e) {
                throw full(e, "storing blob " + sha256);
            }
            done = true;
        }

        @Override
        public void abort() throws IOException {
            if (!done) {
                done = true;
                out.close();
                Files.deleteIfExists(temp);
            }
        }
    }

    /** A full disk as the admin API's 507, any other I/O failure as it was. */
    private IOException full(IOException e, String what) {
        if (DiskSpace.isFull(e)) {
            throw DiskSpace.full(root, what, e);
        }
        return e;
    }

    @Override
    public void delete(String sha256) throws IOException {
        // Variants first: a crash in between leaves a blob without variants (computed again), never the reverse.
        variants.deleteAll(sha256);
        Files.deleteIfExists(path(sha256));
    }

    @Override
    public VariantFiles variants() {
        return variants;
    }

    @Override
    public Set<String> list() throws IOException {
        Set<String> out = new HashSet<>();
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(root, p -> p.getFileName().toString().length() == 2)) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> blobs = Files.newDirectoryStream(shard)) {
                    for (Path blob : blobs) {
                        out.add(blob.getFileName().toString());
                    }
                }
            }
        }
        return out;
    }

    /** Bytes of every stored blob (a walk of the shard folders: for the metrics, once a minute at most). */
    public long totalBytes() throws IOException {
        long sum = 0;
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(root, p -> p.getFileName().toString().length() == 2)) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> blobs = Files.newDirectoryStream(shard)) {
                    for (Path blob : blobs) {
                        try {
                            sum += Files.size(blob);
                        } catch (java.nio.file.NoSuchFileException e) {
                            // collected meanwhile
                        }
                    }
                }
            }
        }
        return sum;
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

}
