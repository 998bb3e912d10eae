package dev.skewgate.store.postgres;

import dev.skewgate.store.FileBlobStore;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.store.sqlite.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.sqlite.SQLiteConfig;

/**
 * {@code skewgate store copy}: moves one node's embedded store (SQLite and the blob folder of a data directory) into
 * PostgreSQL, row for row: sites, hosts, deployments and their files, server-side env, events (same numbers),
 * webhook deliveries, and every blob a deployment refers to. Secrets are copied sealed, so the nodes on PostgreSQL
 * need the data directory's {@code secret-key} (the open refuses another key). Safe to re-run: rows are upserted by
 * primary key and blobs already in the database are left alone; nothing is ever deleted from the target. At the end
 * every table's row count is compared and every blob is read back from PostgreSQL and hashed.
 */
public final class StoreCopy {

    /** The tables in an order their references allow, each with its primary key. */
    private static final Map<String, List<String>> TABLES = tables();

    private static Map<String, List<String>> tables() {
        Map<String, List<String>> t = new LinkedHashMap<>();
        t.put("sites", List.of("name"));
        t.put("site_hosts", List.of("host"));
        t.put("deployments", List.of("id"));
        t.put("deployment_files", List.of("deployment", "path"));
        t.put("backend_files", List.of("deployment", "path"));
        t.put("site_env", List.of("site", "name"));
        t.put("deployment_env", List.of("deployment", "name"));
        t.put("events", List.of("site", "seq"));
        t.put("webhook_deliveries", List.of("delivery"));
        return t;
    }

    /** What a copy did: rows per table, blobs copied and already there, bytes, blobs verified. */
    public record Report(Map<String, Long> rows, int blobsCopied, int blobsPresent, long blobBytes, int blobsVerified) {
    }

    private StoreCopy() {
    }

    /** Copies the store of {@code dataDir} into the PostgreSQL database at {@code url}; progress goes to {@code say}. */
    public static Report copy(Path dataDir, String url, Consumer<String> say) throws IOException {
        Path file = dataDir.resolve("skewgate.db");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--from " + dataDir + " holds no skewgate.db: it is not a Skewgate "
                    + "data directory");
        }
        SqliteStore.open(file).close(); // brings an older data directory's schema up to date first
        Path blobFolder = dataDir.resolve("blobs");
        try (PostgresStore target = PostgresStore.open(url, dataDir);
             PostgresBlobStore blobs = target.blobs(new FileBlobStore(dataDir.resolve("blob-cache")), Long.MAX_VALUE);
             Connection source = sqlite(file)) {
            source.setAutoCommit(false); // one read transaction: every table as of one moment
            Map<String, Long> blobSizes = referencedBlobs(source);
            int copied = 0;
            long bytes = 0;
            say.accept("copying " + blobSizes.size() + " blob(s) to PostgreSQL at " + target.info().where());
            for (Map.Entry<String, Long> b : blobSizes.entrySet()) {
                Path blob = blobFolder.resolve(b.getKey().substring(0, 2)).resolve(b.getKey());
                if (!Files.isRegularFile(blob) && !blobs.has(b.getKey())) {
                    throw new IOException("blob " + b.getKey() + " that a deployment refers to is missing from " + blobFolder);
                }
                // Blobs before rows: a deployment in the target never refers to a blob it does not hold.
                if (Files.isRegularFile(blob) && blobs.store(b.getKey(), b.getValue(), blob)) {
                    copied++;
                    bytes += b.getValue();
                }
            }
            Map<String, Long> rows = new LinkedHashMap<>();
            try (Connection db = target.pool().getConnection()) {
                db.setAutoCommit(false);
                try {
                    for (Map.Entry<String, List<String>> t : TABLES.entrySet()) {
                        rows.put(t.getKey(), copyTable(source, db, t.getKey(), t.getValue()));
                    }
                    db.commit();
                } catch (SQLException | RuntimeException e) {
                    db.rollback();
                    throw e;
                }
                say.accept("copied " + rows.entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                        .collect(Collectors.joining(", ")));
                verifyCounts(db, rows);
            }
            int verified = 0;
            for (String sha : blobSizes.keySet()) {
                Optional<String> actual = blobs.hashInDatabase(sha);
                if (!actual.equals(Optional.of(sha))) {
                    throw new IOException("blob " + sha + " in PostgreSQL does not verify: "
                            + actual.orElse("it is missing"));
                }
                verified++;
            }
            return new Report(rows, copied, blobSizes.size() - copied, bytes, verified);
        } catch (SQLException e) {
            throw new StoreFailure("the copy failed: " + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
                    + "; nothing of the rows was written, run it again once the cause is fixed", e);
        }
    }

    private static Connection sqlite(Path file) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        return config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
    }

    private static Map<String, Long> referencedBlobs(Connection source) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (PreparedStatement st = source.prepareStatement("SELECT sha256, size FROM deployment_files UNION "
                + "SELECT sha256, size FROM backend_files WHERE sha256 IS NOT NULL");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    /** A column of the target table and its PostgreSQL type. */
    record Column(String name, String type) {
    }

    static List<Column> columns(Connection db, String table) throws SQLException {
        List<Column> out = new ArrayList<>();
        try (PreparedStatement st = db.prepareStatement("SELECT column_name, data_type FROM information_schema.columns "
                + "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position")) {
            st.setString(1, table);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(new Column(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    /** Upserts every row of one table; returns how many the source holds. */
    private static long copyTable(Connection source, Connection db, String table, List<String> key) throws SQLException {
        List<Column> columns = columns(db, table);
        String names = columns.stream().map(Column::name).collect(Collectors.joining(", "));
        String values = columns.stream().map(c -> c.type().equals("json") ? "CAST(? AS json)" : "?")
                .collect(Collectors.joining(", "));
        List<String> others = columns.stream().map(Column::name).filter(c -> !key.contains(c)).toList();
        String onConflict = others.isEmpty() ? "DO NOTHING" : "DO UPDATE SET "
                + others.stream().map(c -> c + " = EXCLUDED." + c).collect(Collectors.joining(", "));
        long count = 0;
        try (PreparedStatement read = source.prepareStatement("SELECT " + names + " FROM " + table);
             PreparedStatement write = db.prepareStatement("INSERT INTO " + table + " (" + names + ") VALUES ("
                     + values + ") ON CONFLICT (" + String.join(", ", key) + ") " + onConflict);
             ResultSet rs = read.executeQuery()) {
            while (rs.next()) {
                for (int i = 0; i < columns.size(); i++) {
                    write.setObject(i + 1, value(rs, i + 1, table, columns.get(i)));
                }
                write.addBatch();
                if (++count % 1000 == 0) {
                    write.executeBatch();
                }
            }
            write.executeBatch();
        }
        return count;
    }

    /** One SQLite value as its PostgreSQL column takes it: times from epoch numbers, booleans from 0/1. */
    private static Object value(ResultSet rs, int index, String table, Column column) throws SQLException {
        Object raw = rs.getObject(index);
        if (raw == null) {
            return null;
        }
        return switch (column.type()) {
            case "timestamp with time zone" -> OffsetDateTime.ofInstant(table.equals("webhook_deliveries")
                    ? Instant.ofEpochSecond(rs.getLong(index)) // kept in whole seconds there
                    : Instant.ofEpochMilli(rs.getLong(index)), ZoneOffset.UTC);
            case "boolean" -> rs.getLong(index) != 0;
            case "bigint" -> rs.getLong(index);
            case "integer" -> rs.getInt(index);
            default -> rs.getString(index);
        };
    }

    private static void verifyCounts(Connection db, Map<String, Long> rows) throws SQLException {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Long> t : rows.entrySet()) {
            try (PreparedStatement st = db.prepareStatement("SELECT count(*) FROM " + t.getKey());
                 ResultSet rs = st.executeQuery()) {
                rs.next();
                if (rs.getLong(1) != t.getValue()) {
                    wrong.add(t.getKey() + ": " + t.getValue() + " in SQLite, " + rs.getLong(1) + " in PostgreSQL");
                }
            }
        }
        if (!wrong.isEmpty()) {
            throw new StoreFailure("the copy does not match (the target held rows the source does not have: it is "
                    + "not a copy of this data directory alone): " + String.join("; ", wrong), null);
        }
    }
}
