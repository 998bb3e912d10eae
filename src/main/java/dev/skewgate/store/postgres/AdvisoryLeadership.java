package dev.skewgate.store.postgres;

import dev.skewgate.store.Leadership;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leadership by a PostgreSQL session advisory lock held on a connection of its own (never a pooled one, which would
 * hand the lock to whoever borrows it next). The database releases the lock when the session ends — the node
 * stopped, crashed or lost its connection — and the next node to ask takes it: handed over within one job tick,
 * with no clock involved.
 */
final class AdvisoryLeadership implements Leadership {

    /** The lock's key: any constant no other use of advisory locks in this database shares ("skewgate" in ASCII). */
    static final long KEY = 0x736b657767617465L;
    private static final Logger LOG = LoggerFactory.getLogger(AdvisoryLeadership.class);

    private final DataSource direct;
    private Connection held;

    AdvisoryLeadership(DataSource direct) {
        this.direct = direct;
    }

    @Override
    public synchronized boolean leads() {
        if (held != null) {
            try {
                if (held.isValid(2)) {
                    return true;
                }
            } catch (SQLException e) {
                // treated as lost below
            }
            LOG.warn("lost the connection that held the jobs lock; another node may run retention and checks now");
            closeQuietly();
        }
        try {
            Connection c = direct.getConnection();
            try (PreparedStatement q = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                q.setLong(1, KEY);
                try (ResultSet r = q.executeQuery()) {
                    if (r.next() && r.getBoolean(1)) {
                        held = c;
                        LOG.info("this node runs retention, purges and continuous checks for the nodes on this database");
                        return true;
                    }
                }
            }
            c.close();
            return false;
        } catch (SQLException e) {
            return false; // the database is away: nobody can lead who cannot reach it
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        if (held != null) {
            try {
                held.close();
            } catch (SQLException e) {
                // closing a broken connection: nothing left to release
            }
            held = null;
        }
    }
}
