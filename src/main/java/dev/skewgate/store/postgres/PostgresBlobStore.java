package dev.skewgate.store.postgres;

import com.zaxxer.hikari.HikariDataSource;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.Sha256;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.FileBlobStore;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.store.VariantFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blobs in PostgreSQL, shared by every node, behind each node's local content-addressed cache (a
 * {@link FileBlobStore} in its data directory), which is what the data plane reads and hands to sendfile.
 *
 * <p>An upload is written to the cache first (size and sha256 verified there), then copied into the database in
 * 1 MiB chunk rows in one transaction that also inserts the blob's row: a blob is in the database whole or not at
 * all, and no statement holds more than one chunk. {@link #fetch} fills the cache from the database before a
 * snapshot uses a blob, verifying the hash again; a cached blob is hashed once per process before it is first
 * used, so one damaged on disk is detected and fetched again. The cache is bounded: past its size, the blobs
 * least recently wanted are evicted, never one that a compiled snapshot serves or one just fetched for a snapshot
 * being compiled. Compressed variants stay local to each node ({@link #variants}).
 */
public final class PostgresBlobStore implements BlobStore, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresBlobStore.class);
    /** Bytes per chunk row: large enough that a big file is few rows, small enough to hold one in memory. */
    static final int CHUNK = 1 << 20;
    /** A blob fetched or uploaded this recently is never evicted: a snapshot being compiled may be about to use it. */
    private static final Duration RECENT = Duration.ofMinutes(1);

    private final HikariDataSource pool;
    private final FileBlobStore cache;
    private final long cacheBytes;
    private final String where;
    /** Cached blobs whose bytes were hashed by this process (filled, uploaded or checked before first use). */
    private final Set<String> verified = ConcurrentHashMap.newKeySet();
    /** Blobs a {@link #fetch} is making local right now, with how many fetches want each. */
    private final Map<String, Integer> fetching = new ConcurrentHashMap<>();
    private final AtomicLong filled = new AtomicLong();
    /**
     * Bytes in the cache as far as this process knows, -1 until first measured: checked before walking the cache
     * (a walk stats every file, and a site with many deployments fetches once per deployment). Added to on every
     * fill and upload, so it may count a replaced file twice; a walk then sets it right.
     */
    private final AtomicLong known = new AtomicLong(-1);
    private final AtomicLong damaged = new AtomicLong();
    private volatile Supplier<Set<String>> inUse = Set::of;

    PostgresBlobStore(HikariDataSource pool, FileBlobStore cache, long cacheBytes, String where) {
        this.pool = pool;
        this.cache = cache;
        this.cacheBytes = cacheBytes;
        this.where = where;
    }

    /** Tells eviction which blobs the compiled snapshots serve (they are never evicted). */
    public void protect(Supplier<Set<String>> blobsInUse) {
        this.inUse = blobsInUse;
    }

    @Override
    public boolean has(String sha256) {
        return size(sha256).isPresent();
    }

    /** One query for a whole manifest's blobs. */
    @Override
    public Set<String> missing(Collection<String> sha256s) {
        Set<String> out = new LinkedHashSet<>(sha256s);
        if (out.isEmpty()) {
            return out;
        }
        try (Connection db = pool.getConnection();
             PreparedStatement st = db.prepareStatement("SELECT sha256 FROM blobs WHERE sha256 = ANY(?)")) {
            st.setArray(1, db.createArrayOf("text", out.toArray()));
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.remove(rs.getString(1));
                }
            }
        } catch (SQLException e) {
            throw failure("reading blobs", e);
        }
        return out;
    }

    private OptionalLong size(String sha256) {
        try (Connection db = pool.getConnection();
             PreparedStatement st = db.prepareStatement("SELECT size FROM blobs WHERE sha256=?")) {
            st.setString(1, sha256);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
            }
        } catch (SQLException e) {
            throw failure("reading blob " + sha256, e);
        }
    }

    @Override
    public Path path(String sha256) {
        return cache.path(sha256);
    }

    @Override
    public BlobUpload open(String sha256, long size) throws IOException {
        BlobUpload local = cache.open(sha256, size);
        return new BlobUpload() {
            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                local.write(bytes, offset, length);
            }

            @Override
            public void commit() throws IOException {
                local.commit(); // verifies size and hash
                verified.add(sha256);
                touch(cache.path(sha256));
                added(size);
                store(sha256, size, cache.path(sha256));
                evictIfOver();
            }

            @Override
            public void abort() throws IOException {
                local.abort();
            }
        };
    }

    /**
     * Copies a blob file into the database in one transaction, checking its size and hash on the way; a blob already
     * there is left alone. Returns whether it was copied.
     */
    boolean store(String sha256, long size, Path source) throws IOException {
        try (Connection db = pool.getConnection()) {
            db.setAutoCommit(false);
            try {
                if (exists(db, sha256)) {
                    db.rollback();
                    return false;
                }
                MessageDigest digest = Sha256.digest();
                long total = 0;
                int n = 0;
                // Another node storing the same blob at once: its rows' keys make these wait, then do nothing.
                try (InputStream in = Files.newInputStream(source);
                     PreparedStatement st = db.prepareStatement(
                             "INSERT INTO blob_chunks (sha256, n, data) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                    byte[] buf = new byte[CHUNK];
                    int length;
                    while ((length = in.readNBytes(buf, 0, CHUNK)) > 0) {
                        digest.update(buf, 0, length);
                        total += length;
                        st.setString(1, sha256);
                        st.setInt(2, n++);
                        st.setBytes(3, length == CHUNK ? buf : Arrays.copyOf(buf, length));
                        st.executeUpdate();
                    }
                }
                if (total != size || !java.util.HexFormat.of().formatHex(digest.digest()).equals(sha256)) {
                    throw new IOException("blob " + sha256 + " at " + source + " does not hold the " + size
                            + " bytes that hash to its name");
                }
                try (PreparedStatement st = db.prepareStatement(
                        "INSERT INTO blobs (sha256, size, chunks) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")) {
                    st.setString(1, sha256);
                    st.setLong(2, size);
                    st.setInt(3, n);
                    st.executeUpdate();
                }
                db.commit();
                return true;
            } catch (SQLException | IOException | RuntimeException e) {
                db.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw failure("storing blob " + sha256, e);
        }
    }

    /** The sha256 of a blob's bytes as the database holds them, read back chunk by chunk (empty: not there). */
    java.util.Optional<String> hashInDatabase(String sha256) {
        try (Connection db = pool.getConnection()) {
            db.setAutoCommit(false);
            try (PreparedStatement st = db.prepareStatement("SELECT b.size, c.data FROM blobs b "
                    + "LEFT JOIN blob_chunks c ON c.sha256=b.sha256 WHERE b.sha256=? ORDER BY c.n")) {
                st.setFetchSize(1);
                st.setString(1, sha256);
                MessageDigest digest = Sha256.digest();
                long total = 0;
                long size = -1;
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        size = rs.getLong(1);
                        byte[] chunk = rs.getBytes(2);
                        if (chunk != null) {
                            digest.update(chunk);
                            total += chunk.length;
                        }
                    }
                }
                if (size < 0) {
                    return java.util.Optional.empty();
                }
                return java.util.Optional.of(total == size ? java.util.HexFormat.of().formatHex(digest.digest())
                        : "size " + total + " instead of " + size);
            } finally {
                db.rollback();
            }
        } catch (SQLException e) {
            throw failure("reading blob " + sha256, e);
        }
    }

    private static boolean exists(Connection db, String sha256) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("SELECT 1 FROM blobs WHERE sha256=?")) {
            st.setString(1, sha256);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /**
     * Makes every one of these blobs a verified file in the local cache: a cached one not yet hashed by this process
     * is hashed (and fetched again when its bytes are not what its name says), a missing one is fetched. Throws when
     * a blob is in neither place, or the database's copy does not hash to its name.
     */
    @Override
    public void fetch(Collection<String> sha256s) throws IOException {
        List<String> wanted = List.copyOf(new LinkedHashSet<>(sha256s));
        wanted.forEach(sha -> fetching.merge(sha, 1, Integer::sum));
        try {
            evictIfOver();
            for (String sha : wanted) {
                local(sha);
            }
        } finally {
            wanted.forEach(sha -> fetching.computeIfPresent(sha, (k, count) -> count == 1 ? null : count - 1));
        }
        evictIfOver();
    }

    private void local(String sha256) throws IOException {
        Path file = cache.path(sha256);
        if (Files.isRegularFile(file)) {
            if (verified.contains(sha256) || hashes(file, sha256)) {
                verified.add(sha256);
                touch(file);
                return;
            }
            damaged.incrementAndGet();
            LOG.warn("blob {} in the local cache {} is damaged (its bytes hash to something else): fetching it again "
                    + "from PostgreSQL at {}", sha256, file, where);
            cache.delete(sha256); // its compressed variants too: they were made from the damaged bytes
        }
        fill(sha256);
    }

    private static boolean hashes(Path file, String sha256) throws IOException {
        MessageDigest digest = Sha256.digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                digest.update(buf, 0, n);
            }
        }
        return java.util.HexFormat.of().formatHex(digest.digest()).equals(sha256);
    }

    /** Streams a blob's chunks from the database into the cache, one row in memory at a time. */
    private void fill(String sha256) throws IOException {
        try (Connection db = pool.getConnection()) {
            db.setAutoCommit(false); // the driver streams a result (fetch size) only inside a transaction
            try {
                long size;
                try (PreparedStatement st = db.prepareStatement("SELECT size FROM blobs WHERE sha256=?")) {
                    st.setString(1, sha256);
                    try (ResultSet rs = st.executeQuery()) {
                        if (!rs.next()) {
                            throw new IOException("blob " + sha256 + " is in neither the local cache nor PostgreSQL at "
                                    + where);
                        }
                        size = rs.getLong(1);
                    }
                }
                BlobUpload upload = cache.open(sha256, size);
                try (PreparedStatement st = db.prepareStatement(
                        "SELECT data FROM blob_chunks WHERE sha256=? ORDER BY n")) {
                    st.setFetchSize(1);
                    st.setString(1, sha256);
                    try (ResultSet rs = st.executeQuery()) {
                        while (rs.next()) {
                            byte[] chunk = rs.getBytes(1);
                            upload.write(chunk, 0, chunk.length);
                        }
                    }
                    upload.commit(); // verifies size and hash: a damaged copy in the database is never cached
                } catch (InvalidRequestException e) {
                    throw new IOException("blob " + sha256 + " in PostgreSQL at " + where + " is damaged: "
                            + e.getMessage(), e);
                } finally {
                    upload.abort();
                }
            } finally {
                db.rollback();
            }
        } catch (SQLException e) {
            throw failure("fetching blob " + sha256, e);
        }
        verified.add(sha256);
        filled.incrementAndGet();
        added(Files.size(cache.path(sha256)));
    }

    /** Marks a blob as just wanted: eviction takes the blobs least recently wanted first. */
    private static void touch(Path file) {
        try {
            Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
        } catch (IOException e) {
            // evicted or collected meanwhile: nothing to mark
        }
    }

    private void added(long bytes) {
        known.getAndUpdate(k -> k < 0 ? k : k + bytes);
    }

    /** Evicts the least recently wanted cached blobs that nothing uses until the cache is within its size. */
    private synchronized void evictIfOver() throws IOException {
        long counted = known.get();
        if (counted >= 0 && counted <= cacheBytes) {
            return;
        }
        long total = cache.totalBytes();
        known.set(total);
        if (total <= cacheBytes) {
            return;
        }
        Set<String> keep = new HashSet<>(inUse.get());
        keep.addAll(fetching.keySet());
        Instant recent = Instant.now().minus(RECENT);
        record Cached(String sha256, long size, Instant wanted) {
        }
        List<Cached> candidates = new ArrayList<>();
        for (String sha : cache.list()) {
            if (keep.contains(sha)) {
                continue;
            }
            try {
                Path file = cache.path(sha);
                Instant wanted = Files.getLastModifiedTime(file).toInstant();
                if (wanted.isBefore(recent)) {
                    candidates.add(new Cached(sha, Files.size(file), wanted));
                }
            } catch (NoSuchFileException e) {
                // deleted meanwhile
            }
        }
        candidates.sort(Comparator.comparing(Cached::wanted));
        int evicted = 0;
        for (Cached c : candidates) {
            if (total <= cacheBytes) {
                break;
            }
            cache.delete(c.sha256());
            verified.remove(c.sha256());
            total -= c.size();
            evicted++;
        }
        known.set(total);
        if (evicted > 0) {
            LOG.info("evicted {} blob(s) from the local blob cache (now {} bytes, limit {})", evicted, total, cacheBytes);
        } else if (total > cacheBytes) {
            LOG.warn("the local blob cache holds {} bytes, over its limit of {}: every blob in it is in use "
                    + "(raise --blob-cache-size)", total, cacheBytes);
        }
    }

    /**
     * Deletes a blob from the database and from the local cache (garbage collection), unless a deployment refers to
     * it by the time the delete runs: the collector's list of referenced blobs was read earlier, and another node may
     * have begun a deployment with this blob since (its in-process lock guards only this node's uploads).
     */
    @Override
    public void delete(String sha256) throws IOException {
        try (Connection db = pool.getConnection()) {
            db.setAutoCommit(false);
            try (PreparedStatement blob = db.prepareStatement("DELETE FROM blobs WHERE sha256=? "
                    + "AND NOT EXISTS (SELECT 1 FROM deployment_files WHERE sha256=?) "
                    + "AND NOT EXISTS (SELECT 1 FROM backend_files WHERE sha256=?)");
                 PreparedStatement chunks = db.prepareStatement("DELETE FROM blob_chunks WHERE sha256=?")) {
                blob.setString(1, sha256);
                blob.setString(2, sha256);
                blob.setString(3, sha256);
                if (blob.executeUpdate() == 0 && exists(db, sha256)) {
                    db.rollback();
                    LOG.info("blob {} is referenced again: not collected", sha256);
                    return;
                }
                chunks.setString(1, sha256);
                chunks.executeUpdate();
                db.commit();
            } catch (SQLException e) {
                db.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw failure("deleting blob " + sha256, e);
        }
        cache.delete(sha256);
        verified.remove(sha256);
        known.set(-1); // measured again at the next check
    }

    /** Compressed variants are computed by each node into its own cache; the database holds only the blobs. */
    @Override
    public VariantFiles variants() {
        return cache.variants();
    }

    /** Every blob in the database or in the local cache, for garbage collection. */
    @Override
    public Set<String> list() throws IOException {
        Set<String> out = new HashSet<>(cache.list());
        try (Connection db = pool.getConnection();
             PreparedStatement st = db.prepareStatement("SELECT sha256 FROM blobs");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        } catch (SQLException e) {
            throw failure("listing blobs", e);
        }
        return out;
    }

    /** Bytes of the blobs in the local cache (the metrics' blob gauge on this node). */
    public long cachedBytes() throws IOException {
        return cache.totalBytes();
    }

    /** Blobs this process fetched from the database into its cache (tests, logs). */
    public long filledCount() {
        return filled.get();
    }

    /** Cached blobs this process found damaged and fetched again. */
    public long damagedCount() {
        return damaged.get();
    }

    private StoreFailure failure(String what, SQLException e) {
        return new StoreFailure(what + " on PostgreSQL at " + where + " failed: "
                + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
    }

    @Override
    public void close() {
        pool.close();
    }
}
