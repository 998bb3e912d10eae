package dev.skewgate.store.postgres;

import dev.skewgate.store.FilePermissions;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.store.sqlite.SqliteStore;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's local copy of what it serves from PostgreSQL, {@code <data-dir>/last-known-good.db}: the store rows the
 * snapshot compiler and the backend supervisor read (sites, hosts, deployments, the files, backend files and env of
 * the servable ones, server-side env, the newest events of each site), copied from one consistent read of the database into an SQLite file of the
 * embedded store's schema, so that {@link SqliteStore} reads it back exactly as the database answered. Secrets stay
 * sealed under the data directory's key. Blobs are not in it: the served ones are in the node's blob cache already.
 *
 * <p>Written crash-safely (a temp file, fsync, atomic rename, fsync of the folder, owner-only), after every
 * snapshot swap but at most about once a second and never on the swapping thread ({@link Saver}). Read only when a
 * node starts while its database is unreachable ({@link StandbyStore}).
 */
public final class LastKnownGood {

    public static final String FILE = "last-known-good.db";
    /** Events kept per site: as many as a catch-up reads back (the push replay keeps fewer). */
    static final int EVENTS_PER_SITE = 256;
    /** The tables copied, in an order their references allow; webhook deliveries are only needed by writes. */
    private static final List<String> TABLES = List.of("sites", "site_hosts", "deployments", "deployment_files",
            "backend_files", "site_env", "deployment_env", "events");
    private static final Logger LOG = LoggerFactory.getLogger(LastKnownGood.class);

    private LastKnownGood() {
    }

    public static Path file(Path dataDir) {
        return dataDir.resolve(FILE);
    }

    /** When the copy in {@code dataDir} was written, if there is one. */
    public static Optional<Instant> savedAt(Path dataDir) {
        try {
            Path f = file(dataDir);
            return Files.isRegularFile(f) && Files.size(f) > 0
                    ? Optional.of(Files.getLastModifiedTime(f).toInstant()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Opens the copy as the embedded store reads it (the caller must not write to it). */
    static SqliteStore open(Path dataDir) {
        return SqliteStore.open(file(dataDir));
    }

    /**
     * Replaces the copy in {@code dataDir} with what {@code db} holds now. {@code schema} is an empty database file of
     * the embedded schema (made once per process, see {@link Saver}). On a failure the previous copy stays.
     */
    static void save(PostgresStore db, Path dataDir, byte[] schema) throws IOException {
        Path target = file(dataDir);
        Path temp = dataDir.resolve(FILE + ".tmp");
        deleteWithCompanions(temp);
        Files.write(temp, schema, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FilePermissions.restrict(temp, FilePermissions.FILE);
        try (Connection from = db.pool().getConnection();
             Connection to = DriverManager.getConnection("jdbc:sqlite:" + temp.toAbsolutePath())) {
            try (var st = to.createStatement()) {
                st.execute("PRAGMA journal_mode=DELETE"); // all in the one file when it closes
                st.execute("PRAGMA synchronous=OFF"); // the file is fsynced whole before it is renamed into place
            }
            // One snapshot of every table: the copy is a state the database was in.
            from.setAutoCommit(false);
            from.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            from.setReadOnly(true);
            to.setAutoCommit(false);
            try {
                for (String table : TABLES) {
                    copyTable(from, to, table);
                }
                to.commit();
            } finally {
                from.rollback();
            }
        } catch (SQLException e) {
            deleteWithCompanions(temp);
            throw new StoreFailure("saving the last-known-good copy failed: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
        }
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        // A -wal left beside the old copy would be replayed onto the new one: nobody has the copy open while it is
        // replaced (the standby store closes it before this node saves again).
        Files.deleteIfExists(target.resolveSibling(FILE + "-wal"));
        Files.deleteIfExists(target.resolveSibling(FILE + "-shm"));
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(dataDir, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    /** An empty database of the embedded schema, made by the embedded store's own migrations (in {@code dataDir}). */
    static byte[] emptySchema(Path dataDir) throws IOException {
        Path empty = dataDir.resolve(FILE + ".schema");
        deleteWithCompanions(empty);
        try {
            SqliteStore.open(empty).close();
            return Files.readAllBytes(empty);
        } finally {
            deleteWithCompanions(empty);
        }
    }

    private static void deleteWithCompanions(Path file) throws IOException {
        for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
        }
    }

    private static void copyTable(Connection from, Connection to, String table) throws SQLException {
        List<StoreCopy.Column> columns = StoreCopy.columns(from, table);
        String names = columns.stream().map(StoreCopy.Column::name).collect(Collectors.joining(", "));
        String read = table.equals("events")
                ? "SELECT " + names + " FROM (SELECT *, row_number() OVER (PARTITION BY site ORDER BY seq DESC) AS n "
                + "FROM events) newest WHERE n <= " + EVENTS_PER_SITE
                : table.startsWith("deployment_") || table.equals("backend_files")
                // Only what a snapshot serves: a retired deployment's metadata answers 410, its files are not read.
                ? "SELECT " + names + " FROM " + table + " WHERE deployment IN (SELECT id FROM deployments WHERE "
                + "state IN ('staged', 'active', 'previous'))"
                : "SELECT " + names + " FROM " + table;
        String marks = columns.stream().map(c -> "?").collect(Collectors.joining(", "));
        try (PreparedStatement rd = from.prepareStatement(read);
             PreparedStatement wr = to.prepareStatement("INSERT INTO " + table + " (" + names + ") VALUES (" + marks
                     + ")");
             ResultSet rs = rd.executeQuery()) {
            int count = 0;
            while (rs.next()) {
                for (int i = 0; i < columns.size(); i++) {
                    wr.setObject(i + 1, value(rs, i + 1, columns.get(i)));
                }
                wr.addBatch();
                if (++count % 1000 == 0) {
                    wr.executeBatch();
                }
            }
            wr.executeBatch();
        }
    }

    /** One PostgreSQL value as the embedded store keeps it: times as epoch milliseconds, booleans as 0/1. */
    private static Object value(ResultSet rs, int index, StoreCopy.Column column) throws SQLException {
        return switch (column.type()) {
            case "timestamp with time zone" -> {
                OffsetDateTime at = rs.getObject(index, OffsetDateTime.class);
                yield at == null ? null : at.toInstant().toEpochMilli();
            }
            case "boolean" -> {
                boolean b = rs.getBoolean(index);
                yield rs.wasNull() ? null : b ? 1 : 0;
            }
            case "bigint", "integer", "smallint" -> {
                long n = rs.getLong(index);
                yield rs.wasNull() ? null : n;
            }
            default -> rs.getString(index);
        };
    }

    /**
     * Saves the copy after snapshot swaps: {@link #soon} is cheap and never blocks (a swap calls it); the save runs on
     * a thread of its own a moment later (0.5 s, or five times the last save's duration), one for a burst of swaps.
     * A failure is logged and the previous copy stays.
     */
    public static final class Saver implements AutoCloseable {

        private static final long DELAY_MS = 500;

        private final PostgresStore db;
        private final Path dataDir;
        private final java.util.function.BooleanSupplier allowed;
        private final AtomicBoolean queued = new AtomicBoolean();
        private final java.util.concurrent.ScheduledThreadPoolExecutor thread =
                new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, "skewgate-last-known-good");
                    t.setDaemon(true);
                    return t;
                });

        {
            thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // a stop saves nothing more
        }
        private byte[] schema; // only touched on the saver's thread
        private volatile boolean failing;
        private volatile long saves;
        private volatile long lastMillis;

        /** @param allowed whether to save now (not while the copy itself is what this node serves from) */
        public Saver(PostgresStore db, Path dataDir, java.util.function.BooleanSupplier allowed) {
            this.db = db;
            this.dataDir = dataDir;
            this.allowed = allowed;
        }

        /** Asks for a save soon; swaps in a burst share one. */
        public void soon() {
            if (queued.compareAndSet(false, true)) {
                try {
                    // A large copy (100,000 file rows: about 0.4 s) is saved at most a fifth of the time.
                    thread.schedule(this::save, Math.max(DELAY_MS, 5 * lastMillis), TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException closed) {
                    queued.set(false); // stopping: the copy on disk is the last one saved
                }
            }
        }

        /** How many saves succeeded (tests wait for one). */
        public long saves() {
            return saves;
        }

        private void save() {
            queued.set(false); // a swap from here on asks for another save, after this one
            if (!allowed.getAsBoolean() || !db.connected()) {
                return;
            }
            try {
                if (schema == null) {
                    schema = emptySchema(dataDir);
                }
                long started = System.nanoTime();
                LastKnownGood.save(db, dataDir, schema);
                lastMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                saves++;
                LOG.debug("saved the last-known-good copy {} in {} ms", file(dataDir), lastMillis);
                if (failing) {
                    LOG.info("the last-known-good copy {} is saved again", file(dataDir));
                }
                failing = false;
            } catch (IOException | RuntimeException e) {
                if (!failing) {
                    LOG.warn("cannot save the last-known-good copy {} (the previous one stays): {}", file(dataDir),
                            e.getMessage() == null ? e.toString() : e.getMessage());
                }
                failing = true;
            }
        }

        @Override
        public void close() {
            thread.shutdown(); // a save under way finishes (an interrupt would only cut it short)
            try {
                thread.awaitTermination(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
