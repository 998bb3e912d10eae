package dev.skewgate.config;

import java.time.Duration;

/**
 * How much of the machine the edge may take, so it never runs into the process's file limit (accepts failing with
 * EMFILE) and slow clients cannot hold connections for free.
 *
 * @param maxConnections edge connections open at once, event streams included; more get 503 and are closed
 * @param maxConnectionsPerClient connections open at once from one client address (addresses of trusted proxies are
 *     exempt: every client behind them shares their address)
 * @param maxEventStreams event streams open at once; more get 503 and the SDK falls back to polling
 * @param headerTimeout longest time from a connection's start, or the end of its previous response, until a whole
 *     request head has arrived (slowloris)
 * @param minBodyRate bytes per second a request body must arrive at, measured over each
 *     {@link #BODY_RATE_WINDOW}; 0 turns the check off
 */
public record EdgeLimits(int maxConnections, int maxConnectionsPerClient, int maxEventStreams, Duration headerTimeout,
                         long minBodyRate) {

    /** The window the body rate is measured over. */
    public static final Duration BODY_RATE_WINDOW = Duration.ofSeconds(10);

    /**
     * Defaults for a process limited to 20,000 open files: 15,000 edge connections, of which at most 12,000 event
     * streams, leaves 3,000 other connections that may each hold one upstream connection (18,000), and 2,000 for the
     * JVM, the jar, the database, served files, the admin listener and probes.
     */
    public static final EdgeLimits DEFAULTS = new EdgeLimits(15_000, 256, 12_000, Duration.ofSeconds(30), 500);

    public EdgeLimits {
        if (maxConnections < 1 || maxConnectionsPerClient < 1 || maxEventStreams < 0) {
            throw new IllegalArgumentException("connection limits must be positive");
        }
        if (headerTimeout.isNegative() || headerTimeout.isZero()) {
            throw new IllegalArgumentException("the header timeout must be positive");
        }
        if (minBodyRate < 0) {
            throw new IllegalArgumentException("the minimum body rate must be 0 (off) or more bytes per second");
        }
    }
}
