package dev.skewgate.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.Sha256;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.FileBlobStore;
import dev.skewgate.testing.Postgres;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Blobs in a real PostgreSQL behind a local cache: whole or absent, verified both ways, collected from both. */
class PostgresBlobStoreTest {

    @TempDir
    Path dir;

    private String url;
    private PostgresStore store;
    private PostgresBlobStore blobs;

    @BeforeEach
    void open() {
        url = Postgres.shared().createDatabase();
        store = PostgresStore.open(url, dir);
        blobs = store.blobs(new FileBlobStore(dir.resolve("cache-a")), 1L << 30);
    }

    @AfterEach
    void close() {
        blobs.close();
        store.close();
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha(byte[] b) {
        return HexFormat.of().formatHex(Sha256.digest().digest(b));
    }

    private Connection db() throws Exception {
        return Postgres.shared().connect(url);
    }

    private long count(String sql) throws Exception {
        try (Connection c = db(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void uploadIsStoredInOneMebibyteChunksAndReadByAnotherNodesCache() throws Exception {
        byte[] content = bytes((5 << 19) + 7, 1); // 2.5 MiB and a bit: three chunks
        blobs.put(sha(content), content.length, new ByteArrayInputStream(content));

        assertThat(blobs.has(sha(content))).isTrue();
        assertThat(count("SELECT count(*) FROM blob_chunks")).isEqualTo(3);
        try (PostgresBlobStore other = store.blobs(new FileBlobStore(dir.resolve("cache-b")), 1L << 30)) {
            assertThat(Files.exists(other.path(sha(content)))).isFalse();
            other.fetch(List.of(sha(content)));
            assertThat(Files.readAllBytes(other.path(sha(content)))).isEqualTo(content);
            assertThat(other.filledCount()).isEqualTo(1);
        }
    }

    @Test
    void uploadWhoseBytesDoNotHashToItsNameLeavesNothingInTheDatabase() throws Exception {
        byte[] content = bytes(3000, 2);
        String claimed = sha(bytes(3000, 3));
        BlobStore.BlobUpload upload = blobs.open(claimed, content.length);
        upload.write(content, 0, content.length);
        assertThatThrownBy(upload::commit).isInstanceOf(InvalidRequestException.class).hasMessageContaining("hash");
        upload.abort();

        assertThat(blobs.has(claimed)).isFalse();
        assertThat(count("SELECT count(*) FROM blobs") + count("SELECT count(*) FROM blob_chunks")).isZero();
        assertThat(Files.exists(blobs.path(claimed))).isFalse();
    }

    @Test
    void damagedCopyInTheDatabaseIsRefusedAndNeverCached() throws Exception {
        byte[] content = bytes(10_000, 4);
        blobs.put(sha(content), content.length, new ByteArrayInputStream(content));
        try (Connection c = db()) {
            c.createStatement().executeUpdate("UPDATE blob_chunks SET data = overlay(data placing '\\x00'::bytea from 5)");
        }
        try (PostgresBlobStore other = store.blobs(new FileBlobStore(dir.resolve("cache-b")), 1L << 30)) {
            assertThatThrownBy(() -> other.fetch(List.of(sha(content)))).isInstanceOf(IOException.class)
                    .hasMessageContaining("is damaged");
            assertThat(Files.exists(other.path(sha(content)))).isFalse();
        }
    }

    @Test
    void blobInNeitherPlaceIsANamedError() {
        String missing = sha(bytes(10, 5));
        assertThatThrownBy(() -> blobs.fetch(List.of(missing))).isInstanceOf(IOException.class)
                .hasMessageContaining(missing).hasMessageContaining("neither the local cache nor PostgreSQL");
    }

    @Test
    void deleteRemovesTheBlobFromTheDatabaseAndTheLocalCache() throws Exception {
        byte[] content = bytes(2 << 20, 6);
        blobs.put(sha(content), content.length, new ByteArrayInputStream(content));
        assertThat(blobs.list()).containsExactly(sha(content));

        blobs.delete(sha(content));

        assertThat(blobs.has(sha(content))).isFalse();
        assertThat(blobs.list()).isEmpty();
        assertThat(Files.exists(blobs.path(sha(content)))).isFalse();
        assertThat(count("SELECT count(*) FROM blob_chunks")).isZero();
    }

    @Test
    void cacheOverItsSizeKeepsBlobsThatASnapshotUses() throws Exception {
        byte[] used = bytes(4096, 7);
        try (PostgresBlobStore tiny = store.blobs(new FileBlobStore(dir.resolve("cache-c")), 1)) {
            tiny.protect(() -> java.util.Set.of(sha(used)));
            tiny.put(sha(used), used.length, new ByteArrayInputStream(used));
            Files.setLastModifiedTime(tiny.path(sha(used)), java.nio.file.attribute.FileTime.fromMillis(0));
            tiny.fetch(List.of());
            assertThat(Files.exists(tiny.path(sha(used)))).as("in use: kept over the limit").isTrue();

            byte[] recent = bytes(4096, 12);
            tiny.put(sha(recent), recent.length, new ByteArrayInputStream(recent));
            tiny.protect(java.util.Set::of);
            tiny.fetch(List.of());
            assertThat(Files.exists(tiny.path(sha(used)))).as("unused and not wanted lately: evicted").isFalse();
            assertThat(Files.exists(tiny.path(sha(recent)))).as("wanted a moment ago: a build may be about to use it")
                    .isTrue();
            assertThat(tiny.has(sha(used))).as("still in the database").isTrue();
        }
    }

    @Test
    void deleteKeepsABlobThatADeploymentStartedReferringToSinceTheCollectorLooked() throws Exception {
        byte[] content = bytes(5000, 8);
        blobs.put(sha(content), content.length, new ByteArrayInputStream(content));
        try (Connection c = db()) {
            // Another node began a deployment with this blob after the collector read the referenced set.
            c.createStatement().executeUpdate("INSERT INTO sites (name, api_prefixes, spa, entry_point, skew_window_ms, "
                    + "keep_previous, purge_after_ms, header_rules, revision, created_at) "
                    + "VALUES ('shop', '[]', true, 'index.html', 0, 5, 0, '[]', 1, now())");
            c.createStatement().executeUpdate("INSERT INTO deployments (id, site, state, created_at, message, author, "
                    + "file_count, total_bytes) VALUES ('dpl_1', 'shop', 'uploading', now(), '', 't', 1, 5000)");
            c.createStatement().executeUpdate("INSERT INTO deployment_files (deployment, path, sha256, size, content_type) "
                    + "VALUES ('dpl_1', 'a.bin', '" + sha(content) + "', 5000, 'application/octet-stream')");
        }

        blobs.delete(sha(content));

        assertThat(blobs.has(sha(content))).isTrue();
        assertThat(Files.readAllBytes(blobs.path(sha(content)))).isEqualTo(content);
        assertThat(count("SELECT count(*) FROM blob_chunks")).isEqualTo(1);
    }

    @Test
    void missingNamesTheBlobsTheDatabaseLacksInTheOrderAsked() throws Exception {
        byte[] stored = bytes(100, 9);
        blobs.put(sha(stored), stored.length, new ByteArrayInputStream(stored));
        String a = sha(bytes(10, 10));
        String b = sha(bytes(10, 11));

        assertThat(blobs.missing(List.of(b, sha(stored), a))).containsExactly(b, a);
        assertThat(blobs.missing(List.of())).isEmpty();
    }
}
