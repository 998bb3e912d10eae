package dev.skewgate.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.store.Leadership;
import dev.skewgate.store.SecretBox;
import dev.skewgate.testing.Postgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jobs that must run once on a shared database: exactly one node leads; a leader that stops or loses its session
 * hands over to the next node that asks, with no clock involved.
 */
class AdvisoryLeadershipTest {

    @TempDir
    Path dir;

    @Test
    void oneNodeLeadsAndTheLeadMovesWhenItsSessionEndsOrItStops() throws Exception {
        String url = Postgres.shared().createDatabase();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Files.createDirectories(a);
        try (PostgresStore first = PostgresStore.open(url, a)) {
            Files.createDirectories(b);
            Files.copy(a.resolve(SecretBox.KEY_FILE), b.resolve(SecretBox.KEY_FILE));
            try (PostgresStore second = PostgresStore.open(url, b);
                 Leadership one = first.leadership();
                 Leadership two = second.leadership()) {
                assertThat(one.leads()).isTrue();
                assertThat(two.leads()).as("the lock is held").isFalse();
                assertThat(one.leads()).as("still held, asked again").isTrue();

                // The leader's session ends (what a crashed node or a database failover does to it).
                assertThat(terminateLockHolder(url)).isEqualTo(1);
                assertThat(two.leads()).as("the next to ask takes it").isTrue();
                assertThat(one.leads()).as("the old leader sees it lost its session and does not lead").isFalse();

                two.close(); // a leader that stops releases at once
                assertThat(one.leads()).isTrue();
                assertThat(two.leads()).isFalse();
            }
        }
    }

    private static int terminateLockHolder(String url) throws Exception {
        try (Connection c = Postgres.shared().connect(url);
             PreparedStatement q = c.prepareStatement("""
                     SELECT count(pg_terminate_backend(pid)) FROM pg_locks
                     WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""");
             ResultSet r = q.executeQuery()) {
            r.next();
            return r.getInt(1);
        }
    }
}
