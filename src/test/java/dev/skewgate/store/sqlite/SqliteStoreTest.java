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
    void usesWriteAheadLogging() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("skewgate.db"));
             ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
    }
}
