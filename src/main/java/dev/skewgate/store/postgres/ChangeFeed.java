package dev.skewgate.store.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashSet;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import org.postgresql.PGNotification;
import org.postgresql.ds.PGSimpleDataSource;
import org.postgresql.jdbc.PgConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The changes other nodes commit to the shared database, as PostgreSQL LISTEN/NOTIFY notices of the sites they
 * touched, read on one connection of its own by one thread. A notice can be lost (the connection drops, the node
 * was down), so every (re)connect first asks for everything to be re-read: a lost notice is never a lost change.
 */
public final class ChangeFeed implements AutoCloseable {

    /** The one channel every change of a site is announced on (payload: the sending node, a space, the site). */
    static final String CHANNEL = "skewgate_changes";
    /** How long one wait for notices lasts: also how soon a close is noticed. */
    private static final int WAIT_MS = 500;
    /** A connection that sent nothing this long is asked whether it still works (a silent network loss). */
    private static final long CHECK_IDLE_MS = 10_000;
    private static final long FIRST_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 5_000;
    private static final Logger LOG = LoggerFactory.getLogger(ChangeFeed.class);

    private final PGSimpleDataSource direct;
    private final String node;
    private final String where;
    private volatile boolean closed;
    private volatile int pid = -1;
    private Thread thread;

    ChangeFeed(PGSimpleDataSource direct, String node, String where) {
        this.direct = direct;
        this.node = node;
        this.where = where;
    }

    static String payload(String node, String site) {
        return node + " " + site;
    }

    /**
     * Starts listening: {@code resync} runs on every (re)connect once the connection listens, {@code changed} for
     * each site another node changed (this node's own notices are skipped: its changes are live already). Either
     * may throw; the feed then reconnects and resyncs, with a growing pause while that keeps failing.
     */
    public synchronized void start(Consumer<String> changed, Runnable resync) {
        if (thread != null) {
            throw new IllegalStateException("the change feed is already started");
        }
        thread = new Thread(() -> run(changed, resync), "skewgate-change-feed");
        thread.setDaemon(true);
        thread.start();
    }

    /** The database's process id of the listening connection while it is open (tests end it to simulate a loss). */
    public OptionalInt backendPid() {
        int p = pid;
        return p < 0 ? OptionalInt.empty() : OptionalInt.of(p);
    }

    private void run(Consumer<String> changed, Runnable resync) {
        long backoff = FIRST_BACKOFF_MS;
        boolean lost = false;
        while (!closed) {
            try (Connection db = direct.getConnection()) {
                PgConnection pg = db.unwrap(PgConnection.class);
                try (Statement st = db.createStatement()) {
                    st.execute("LISTEN " + CHANNEL);
                }
                pid = pg.getBackendPID();
                // Listening before re-reading: a change committed from here on is either read now or noticed next.
                resync.run();
                if (lost) {
                    LOG.info("change feed: listening again on PostgreSQL at {}; everything was re-read", where);
                }
                lost = false;
                backoff = FIRST_BACKOFF_MS;
                listen(db, pg, changed);
            } catch (SQLException | RuntimeException e) {
                pid = -1;
                if (closed) {
                    break;
                }
                if (!lost) {
                    // A lost connection, or a re-read that failed (the database went away mid-read, a site
                    // whose snapshot cannot be built): either way the next connect re-reads everything.
                    LOG.warn("change feed on PostgreSQL at {}: {}; serving what this node has, reconnecting and "
                            + "re-reading everything", where, e.toString());
                }
                lost = true;
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    break;
                }
                backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
            }
        }
        pid = -1;
    }

    private void listen(Connection db, PgConnection pg, Consumer<String> changed) throws SQLException {
        long quietSince = System.nanoTime();
        while (!closed) {
            PGNotification[] notices = pg.getNotifications(WAIT_MS);
            if (notices == null || notices.length == 0) {
                if (System.nanoTime() - quietSince > CHECK_IDLE_MS * 1_000_000 && !closed) {
                    if (!db.isValid(5)) {
                        throw new SQLException("the listening connection no longer answers");
                    }
                    quietSince = System.nanoTime();
                }
                continue;
            }
            quietSince = System.nanoTime();
            // One re-read per site however many of its changes arrived together.
            Set<String> sites = new LinkedHashSet<>();
            for (PGNotification n : notices) {
                String p = n.getParameter();
                int space = p.indexOf(' ');
                if (space > 0 && !p.substring(0, space).equals(node)) {
                    sites.add(p.substring(space + 1));
                }
            }
            for (String site : sites) {
                changed.accept(site);
            }
        }
    }

    /** Stops listening; returns once the thread has ended (within about one wait). */
    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            t.interrupt(); // out of a pause between reconnects
            try {
                t.join(WAIT_MS * 4L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
