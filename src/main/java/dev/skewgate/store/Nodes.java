package dev.skewgate.store;

import java.time.Duration;
import java.util.List;

/**
 * The nodes that share one store, each with its last report. Ages are measured by the store's clock (PostgreSQL's
 * {@code now()} on both sides), so nodes whose clocks disagree still agree on who is live.
 */
public interface Nodes {

    /** A node that has not reported for this long is no longer counted (its numbers age out). */
    Duration LIVE = Duration.ofSeconds(15);

    /** Stores this node's report as its heartbeat. */
    void publish(NodeReport report);

    /** Every node that reported in the last hour, most recent heartbeat first. */
    List<Seen> nodes();

    /** One node's last report and how long ago it came, by the store's clock. */
    record Seen(NodeReport report, Duration sinceHeartbeat) {
        public boolean live() {
            return sinceHeartbeat.compareTo(LIVE) <= 0;
        }
    }

    /** One node alone (SQLite): its own report, just published. */
    static Nodes solo() {
        return new Nodes() {
            private volatile NodeReport last;

            @Override
            public void publish(NodeReport report) {
                last = report;
            }

            @Override
            public List<Seen> nodes() {
                NodeReport r = last;
                return r == null ? List.of() : List.of(new Seen(r, Duration.ZERO));
            }
        };
    }
}
