package dev.skewgate.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.store.Store;
import dev.skewgate.store.StoreContractTest;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract on a real SQLite file in a temp directory, plus the durability settings it promises. */
class SqliteStoreTest extends StoreContractTest {

    @TempDir
    Path dir;

    @Override
    protected Store create() {
        return SqliteStore.open(dir.resolve("skewgate.db"));
    }

    @Override
    protected Store reopen(Store current) {
        current.close();
        return SqliteStore.open(dir.resolve("skewgate.db"));
    }

    @Test
    void theSchemaVersionThatSkipsFlywayIsTheNewestMigration() throws Exception {
        Path folder = Path.of(SqliteStore.class.getClassLoader().getResource(SqliteStore.MIGRATIONS).toURI());
        int newest;
        try (var files = java.nio.file.Files.list(folder)) {
            newest = files.map(p -> p.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max().orElseThrow();
        }
        assertThat(SqliteStore.SCHEMA_VERSION).as("SqliteStore.SCHEMA_VERSION after adding a migration").isEqualTo(newest);
    }

    @Test
    void aStoreOpenedAgainAtTheCurrentSchemaStillMigratesAnOlderOne() throws Exception {
        store.close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("skewgate.db"))) {
            c.createStatement().executeUpdate("DELETE FROM flyway_schema_history WHERE version = '"
                    + SqliteStore.SCHEMA_VERSION + "'");
        }
        // Flyway runs again: the newest migration is applied once more on the schema that has it, and fails loudly
        // rather than being skipped (a real older schema lacks what it adds, and gets it).
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> SqliteStore.open(dir.resolve("skewgate.db")).close())
                .hasMessageContaining("V" + SqliteStore.SCHEMA_VERSION + "__");
        store = SqliteStore.open(dir.resolve("other.db"));
    }

    @Test
    void usesWriteAheadLogging() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("skewgate.db"));
             ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
    }
}
