package dev.skewgate.store.postgres;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.skewgate.store.NodeReport;
import dev.skewgate.store.Nodes;
import dev.skewgate.store.StoreFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** {@link Nodes} in the {@code nodes} table: one row per node, its report as JSON, its heartbeat by {@code now()}. */
final class PostgresNodes implements Nodes {

    /** Instants as ISO-8601 text (jackson-datatype-jsr310 is not among the dependencies for one field). */
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new SimpleModule()
            .addSerializer(Instant.class, new ToStringSerializer(Instant.class))
            .addDeserializer(Instant.class, new FromStringDeserializer<>(Instant.class) {
                @Override
                protected Instant _deserialize(String value, DeserializationContext context) {
                    return Instant.parse(value);
                }
            }));
    /** Rows of nodes gone this long are deleted by the next heartbeat of any node. */
    private static final String FORGOTTEN_AFTER = "1 hour";

    private final DataSource pool;

    PostgresNodes(DataSource pool) {
        this.pool = pool;
    }

    @Override
    public void publish(NodeReport report) {
        String json;
        try {
            json = JSON.writeValueAsString(report);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the node report", e);
        }
        try (Connection db = pool.getConnection()) {
            db.setAutoCommit(true);
            try (PreparedStatement up = db.prepareStatement("""
                    INSERT INTO nodes (id, address, started_at, heartbeat_at, report) VALUES (?, ?, ?, now(), ?)
                    ON CONFLICT (id) DO UPDATE SET address = excluded.address, started_at = excluded.started_at,
                        heartbeat_at = now(), report = excluded.report""")) {
                up.setString(1, report.node());
                up.setString(2, report.address());
                up.setTimestamp(3, Timestamp.from(report.startedAt()));
                up.setString(4, json);
                up.executeUpdate();
            }
            try (PreparedStatement old = db.prepareStatement(
                    "DELETE FROM nodes WHERE heartbeat_at < now() - interval '" + FORGOTTEN_AFTER + "'")) {
                old.executeUpdate();
            }
        } catch (SQLException e) {
            throw new StoreFailure("cannot publish this node's heartbeat: " + e.getMessage(), e);
        }
    }

    @Override
    public List<Seen> nodes() {
        List<Seen> out = new ArrayList<>();
        try (Connection db = pool.getConnection();
             PreparedStatement q = db.prepareStatement("""
                     SELECT report, EXTRACT(EPOCH FROM (now() - heartbeat_at)) * 1000 AS age_ms FROM nodes
                     ORDER BY heartbeat_at DESC, id""");
             ResultSet rows = q.executeQuery()) {
            while (rows.next()) {
                NodeReport report;
                try {
                    report = JSON.readValue(rows.getString("report"), NodeReport.class);
                } catch (JsonProcessingException e) {
                    continue; // a row written by another version of the gateway: not ours to read
                }
                out.add(new Seen(report, Duration.ofMillis(Math.max(0, (long) rows.getDouble("age_ms")))));
            }
        } catch (SQLException e) {
            throw new StoreFailure("cannot read the nodes: " + e.getMessage(), e);
        }
        return out;
    }
}
