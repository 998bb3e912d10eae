package dev.skewgate.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Startup settings of {@code skewgate serve}, read once from flags and environment.
 *
 * @param edgeHost address the data plane listens on (all interfaces by default)
 * @param adminHost address the admin API listens on (loopback by default: it can change what is served)
 * @param maxFileInMemory files up to this size are served from memory; larger ones by sendfile
 * @param memoryBudget total bytes of file content kept in memory across all served deployments
 * @param retentionInterval how often retention (retire, purge, blob collection) runs
 * @param edgeInstances event-loop instances of the edge server (defaults to the number of cores)
 * @param upstreamTimeout longest silence from a backend before the request fails with 504
 * @param trustedProxies addresses (CIDR) whose X-Forwarded-* and Forwarded headers are believed
 * @param webSocketDrain how long WebSockets to a retired deployment stay open before they are closed
 * @param shutdownDelay how long the gateway keeps serving after SIGTERM, readiness already 503, before it stops
 *                      accepting connections: time for a load balancer to take it out of rotation
 * @param shutdownGrace how long in-flight requests may take to finish once it stopped accepting
 * @param limits connection caps and slow-client timeouts of the edge
 * @param keepBackends leave managed backend instances running on a graceful stop (the next start adopts them), for
 *                     restarting the gateway itself without restarting every backend; off: a stop leaves nothing
 * @param httpsPort with HTTPS on, the TLS listener's port; the edge port is then the plain HTTP listener, which
 *                  redirects to it (and answers ACME challenges)
 * @param acme with HTTPS: whether and from which CA certificates are obtained automatically
 * @param observability the access log and the metrics listener
 * @param store SQLite in the data directory, or PostgreSQL (with its blob cache size)
 * @param adminHostNames host names the admin listener answers to besides loopback and IP addresses
 *                       ({@code --admin-host-name}): every other Host header is refused (DNS rebinding)
 */
public record ServeSettings(
        String edgeHost,
        int edgePort,
        String adminHost,
        int adminPort,
        Path dataDir,
        long maxFileInMemory,
        long memoryBudget,
        Duration retentionInterval,
        int edgeInstances,
        Duration upstreamTimeout,
        List<String> trustedProxies,
        Duration webSocketDrain,
        Duration shutdownDelay,
        Duration shutdownGrace,
        EdgeLimits limits,
        boolean keepBackends,
        java.util.OptionalInt httpsPort,
        AcmeSettings acme,
        Observability observability,
        StoreSettings store,
        List<String> adminHostNames) {

    public static final long DEFAULT_MAX_FILE_IN_MEMORY = 1L << 20;
    public static final long DEFAULT_MEMORY_BUDGET = 256L << 20;

    /** Defaults for everything but where to listen and what folder to use (used by tests and the demo). */
    public static ServeSettings of(int edgePort, int adminPort, Path dataDir) {
        return new ServeSettings("0.0.0.0", edgePort, "127.0.0.1", adminPort, dataDir, DEFAULT_MAX_FILE_IN_MEMORY,
                DEFAULT_MEMORY_BUDGET, Duration.ofMinutes(1), Runtime.getRuntime().availableProcessors(),
                Duration.ofSeconds(60), List.of(), Duration.ofSeconds(30), Duration.ZERO, Duration.ofSeconds(30),
                EdgeLimits.DEFAULTS, false, java.util.OptionalInt.empty(), AcmeSettings.OFF,
                Observability.DEFAULTS, StoreSettings.EMBEDDED, List.of());
    }

    /** The same settings trusting these proxy addresses. */
    public ServeSettings withTrustedProxies(List<String> proxies) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, proxies, webSocketDrain, shutdownDelay, shutdownGrace,
                limits, keepBackends, httpsPort, acme, observability, store, adminHostNames);
    }

    /** The same settings with other proxy timings (tests use short ones). */
    public ServeSettings withProxyTimings(Duration upstream, Duration drain) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstream, trustedProxies, drain, shutdownDelay, shutdownGrace, limits,
                keepBackends, httpsPort, acme, observability, store, adminHostNames);
    }

    /** The same settings with other edge limits (tests use small ones). */
    public ServeSettings withLimits(EdgeLimits edgeLimits) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, shutdownDelay,
                shutdownGrace, edgeLimits, keepBackends, httpsPort, acme, observability, store, adminHostNames);
    }

    /** The same settings with HTTPS on {@code port} (0: a free one); the edge port stays the plain HTTP listener. */
    public ServeSettings withHttps(int port) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, shutdownDelay,
                shutdownGrace, limits, keepBackends, java.util.OptionalInt.of(port), acme, observability, store, adminHostNames);
    }

    /** The same settings with the edge's (plain HTTP) listener on {@code port}. */
    public ServeSettings withEdgePort(int port) {
        return new ServeSettings(edgeHost, port, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, shutdownDelay,
                shutdownGrace, limits, keepBackends, httpsPort, acme, observability, store, adminHostNames);
    }

    /** The same settings obtaining certificates through ACME as {@code settings} say. */
    public ServeSettings withAcme(AcmeSettings settings) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, shutdownDelay,
                shutdownGrace, limits, keepBackends, httpsPort, settings, observability, store, adminHostNames);
    }

    /** The same settings keeping (or not) managed backends running across a graceful stop. */
    public ServeSettings withKeepBackends(boolean keep) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, shutdownDelay,
                shutdownGrace, limits, keep, httpsPort, acme, observability, store, adminHostNames);
    }

    /** The same settings with another graceful stop (tests use a delay to watch readiness turn 503). */
    public ServeSettings withShutdown(Duration delay, Duration grace) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, delay, grace, limits,
                keepBackends, httpsPort, acme, observability, store, adminHostNames);
    }

    /** The same settings with another access log or metrics listener. */
    public ServeSettings withObservability(Observability watch) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, shutdownDelay,
                shutdownGrace, limits, keepBackends, httpsPort, acme, watch, store, adminHostNames);
    }

    /** The same settings on another store. */
    public ServeSettings withStore(StoreSettings other) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, shutdownDelay,
                shutdownGrace, limits, keepBackends, httpsPort, acme, observability, other, adminHostNames);
    }

    /** The same settings answering on the admin listener to these host names too. */
    public ServeSettings withAdminHostNames(List<String> names) {
        return new ServeSettings(edgeHost, edgePort, adminHost, adminPort, dataDir, maxFileInMemory, memoryBudget,
                retentionInterval, edgeInstances, upstreamTimeout, trustedProxies, webSocketDrain, shutdownDelay,
                shutdownGrace, limits, keepBackends, httpsPort, acme, observability, store, List.copyOf(names));
    }
}
