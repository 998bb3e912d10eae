package dev.skewgate.app;

import dev.skewgate.config.EdgeLimits;
import dev.skewgate.config.Observability;
import dev.skewgate.config.ServeSettings;
import dev.skewgate.config.StoreSettings;
import dev.skewgate.model.Durations;
import dev.skewgate.proxy.TrustedProxies;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code skewgate serve}: runs the gateway until it is told to stop. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the gateway: edge listener, admin API, and its store (SQLite + blob folder in the data "
                + "directory, or PostgreSQL with --store).")
public final class ServeCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    ListenOptions listen;

    @Option(names = "--data-dir", defaultValue = "${env:SKEWGATE_DATA_DIR:-./skewgate-data}",
            description = "Data directory (SQLite metadata, blobs, admin token). Env SKEWGATE_DATA_DIR. Default: ${DEFAULT-VALUE}")
    java.nio.file.Path dataDir;

    @Option(names = "--store", paramLabel = "URL", defaultValue = "${env:SKEWGATE_STORE}",
            description = "Keep sites, deployments, events and blobs in PostgreSQL, "
                    + "postgresql://user:password@host:5432/database, so several gateways can share them (the data "
                    + "directory then holds the secret key, the admin token and a cache of blobs). Env SKEWGATE_STORE. "
                    + "Default: SQLite and a blob folder in the data directory")
    String store;

    @Option(names = "--blob-cache-size", paramLabel = "SIZE", defaultValue = "${env:SKEWGATE_BLOB_CACHE_SIZE:-4g}",
            description = "With --store: the disk the local cache of blobs may take (k, m, g, t); blobs that a "
                    + "served deployment uses stay beyond it. Env SKEWGATE_BLOB_CACHE_SIZE. Default: ${DEFAULT-VALUE}")
    String blobCacheSize;

    @Option(names = "--host", defaultValue = "${env:SKEWGATE_HOST:-0.0.0.0}",
            description = "Edge listen address. Env SKEWGATE_HOST. Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--admin-host", defaultValue = "${env:SKEWGATE_ADMIN_HOST:-127.0.0.1}",
            description = "Admin API listen address; keep it on loopback unless a proxy with TLS guards it. "
                    + "Env SKEWGATE_ADMIN_HOST. Default: ${DEFAULT-VALUE}")
    String adminHost;

    @Option(names = "--admin-host-name", paramLabel = "NAME",
            description = "A host name the admin listener (and its dashboard) answers to, besides localhost and IP "
                    + "addresses; repeatable. Any other Host header is refused with 421, so a web page cannot reach "
                    + "the listener by DNS rebinding. Default: none")
    List<String> adminHostNames;

    @Option(names = "--memory-budget-mb", defaultValue = "${env:SKEWGATE_MEMORY_BUDGET_MB:-256}",
            description = "Memory for serving small files from RAM. Default: ${DEFAULT-VALUE}")
    long memoryBudgetMb;

    @Option(names = "--upstream-timeout", defaultValue = "${env:SKEWGATE_UPSTREAM_TIMEOUT:-60s}",
            description = "Longest silence from a backend before a request fails with 504. Default: ${DEFAULT-VALUE}")
    String upstreamTimeout;

    @Option(names = "--trusted-proxy", split = ",", defaultValue = "${env:SKEWGATE_TRUSTED_PROXIES}",
            description = "Address or CIDR of a proxy in front whose X-Forwarded-*/Forwarded headers are believed "
                    + "(repeatable). Default: none")
    List<String> trustedProxies;

    @Option(names = "--websocket-drain", defaultValue = "30s",
            description = "How long WebSockets to a retired deployment stay open. Default: ${DEFAULT-VALUE}")
    String webSocketDrain;

    @Option(names = "--shutdown-delay", defaultValue = "0s",
            description = "How long to keep serving after SIGTERM with readiness (/_skewgate/readyz) already 503, "
                    + "so a load balancer takes the gateway out first. Default: ${DEFAULT-VALUE}")
    String shutdownDelay;

    @Option(names = "--keep-backends", description = "On a graceful stop, leave the backend processes the gateway "
            + "runs running; the next start adopts them (for upgrading the gateway itself). Default: stop them.")
    boolean keepBackends;

    @Option(names = "--shutdown-grace", defaultValue = "30s",
            description = "How long in-flight requests may take once the gateway stopped accepting. "
                    + "Default: ${DEFAULT-VALUE}")
    String shutdownGrace;

    @Option(names = "--max-connections", defaultValue = "${env:SKEWGATE_MAX_CONNECTIONS:-15000}",
            description = "Edge connections open at once, event streams included; more get 503. Keep it under the "
                    + "process's open-file limit (LimitNOFILE). Env SKEWGATE_MAX_CONNECTIONS. Default: ${DEFAULT-VALUE}")
    int maxConnections;

    @Option(names = "--max-connections-per-client", defaultValue = "${env:SKEWGATE_MAX_CONNECTIONS_PER_CLIENT:-256}",
            description = "Connections open at once from one client address (trusted proxies exempt). "
                    + "Env SKEWGATE_MAX_CONNECTIONS_PER_CLIENT. Default: ${DEFAULT-VALUE}")
    int maxConnectionsPerClient;

    @Option(names = "--max-event-streams", defaultValue = "${env:SKEWGATE_MAX_EVENT_STREAMS:-12000}",
            description = "Event streams open at once; more get 503 and tabs poll instead. "
                    + "Env SKEWGATE_MAX_EVENT_STREAMS. Default: ${DEFAULT-VALUE}")
    int maxEventStreams;

    @Option(names = "--header-timeout", defaultValue = "${env:SKEWGATE_HEADER_TIMEOUT:-30s}",
            description = "Longest wait for a whole request head (slowloris). Env SKEWGATE_HEADER_TIMEOUT. "
                    + "Default: ${DEFAULT-VALUE}")
    String headerTimeout;

    @Option(names = "--min-body-rate", defaultValue = "${env:SKEWGATE_MIN_BODY_RATE:-500}",
            description = "Bytes per second a request body must arrive at, over 10 s windows; 0: off. "
                    + "Env SKEWGATE_MIN_BODY_RATE. Default: ${DEFAULT-VALUE}")
    long minBodyRate;

    @Option(names = "--https", description = "Serve HTTPS (HTTP/2 and HTTP/1.1) on --https-port with the certificates "
            + "of 'skewgate cert add'; the plain HTTP listener moves to --http-port and redirects to HTTPS (308). "
            + "Env SKEWGATE_HTTPS=true.", defaultValue = "${env:SKEWGATE_HTTPS:-false}")
    boolean https;

    @Option(names = "--https-port", defaultValue = "${env:SKEWGATE_HTTPS_PORT:-443}",
            description = "With --https: the TLS listener's port. Env SKEWGATE_HTTPS_PORT. Default: ${DEFAULT-VALUE}")
    int httpsPort;

    @Option(names = "--http-port", defaultValue = "${env:SKEWGATE_HTTP_PORT:-80}",
            description = "With --https: the plain HTTP listener's port (redirects, ACME challenges). "
                    + "Env SKEWGATE_HTTP_PORT. Default: ${DEFAULT-VALUE}")
    int httpPort;

    @Option(names = "--acme", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --https: obtain and renew certificates for every exact host name of every site through "
                    + "ACME, except hosts a 'cert add' file covers. Default: on")
    boolean acme;

    @Option(names = "--acme-challenge", paramLabel = "TYPE", defaultValue = "${env:SKEWGATE_ACME_CHALLENGE:-http-01}",
            description = "How the CA checks that a host name is ours: http-01 (on the plain listener, port 80) or "
                    + "tls-alpn-01 (on the TLS listener, port 443, for when port 80 is closed; the TLS listener then "
                    + "uses the JDK's TLS, about half as many new handshakes per second). Env SKEWGATE_ACME_CHALLENGE. "
                    + "Default: ${DEFAULT-VALUE}")
    String acmeChallenge;

    @Option(names = "--acme-directory", paramLabel = "URL", defaultValue = "${env:SKEWGATE_ACME_DIRECTORY:-"
            + "https://acme-v02.api.letsencrypt.org/directory}",
            description = "The CA's ACME directory. Env SKEWGATE_ACME_DIRECTORY. Default: Let's Encrypt production")
    String acmeDirectory;

    @Option(names = "--acme-email", paramLabel = "EMAIL", defaultValue = "${env:SKEWGATE_ACME_EMAIL}",
            description = "Contact for the ACME account (the CA's expiry notices). Env SKEWGATE_ACME_EMAIL")
    String acmeEmail;

    @Option(names = "--acme-ca-file", paramLabel = "PEM", defaultValue = "${env:SKEWGATE_ACME_CA_FILE}",
            description = "CA certificate(s) that sign the ACME directory's own HTTPS, for a private CA (pebble, "
                    + "step-ca). Default: the JDK's trust store")
    java.nio.file.Path acmeCaFile;

    @Option(names = "--access-log", defaultValue = "${env:SKEWGATE_ACCESS_LOG:-off}",
            description = "One line per request: combined, json or off (off by default: it costs CPU and I/O on "
                    + "every request). Env SKEWGATE_ACCESS_LOG. Default: ${DEFAULT-VALUE}")
    String accessLog;

    @Option(names = "--access-log-file", defaultValue = "${env:SKEWGATE_ACCESS_LOG_FILE}",
            description = "Write the access log to this file, rotated at 50 MiB (3 files kept), instead of stdout. "
                    + "Env SKEWGATE_ACCESS_LOG_FILE")
    java.nio.file.Path accessLogFile;

    @Option(names = "--metrics-listen", defaultValue = "${env:SKEWGATE_METRICS_LISTEN}", paramLabel = "HOST:PORT",
            description = "Also serve GET /metrics (Prometheus) here, without the admin token; only /metrics is "
                    + "served there. Default: off (/metrics is on the admin listener, with the token)")
    String metricsListen;

    @Option(names = "--retention-interval", defaultValue = "60s", hidden = true)
    String retentionInterval;

    private dev.skewgate.config.AcmeSettings acmeSettings() {
        if (!https || !acme) {
            return dev.skewgate.config.AcmeSettings.OFF;
        }
        java.net.URI directory;
        try {
            directory = java.net.URI.create(acmeDirectory);
        } catch (IllegalArgumentException e) {
            directory = null;
        }
        if (directory == null || !"https".equals(directory.getScheme()) || directory.getHost() == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--acme-directory must be an https:// URL, not " + acmeDirectory);
        }
        if (acmeCaFile != null && !java.nio.file.Files.isReadable(acmeCaFile)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--acme-ca-file: cannot read "
                    + acmeCaFile);
        }
        dev.skewgate.config.AcmeSettings.Challenge challenge = dev.skewgate.config.AcmeSettings.Challenge
                .of(acmeChallenge).orElseThrow(() -> new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--acme-challenge must be http-01 or tls-alpn-01, not " + acmeChallenge));
        return new dev.skewgate.config.AcmeSettings(true, directory,
                java.util.Optional.ofNullable(acmeEmail).filter(e -> !e.isBlank()), java.util.Optional.ofNullable(acmeCaFile),
                challenge);
    }

    @Override
    public Integer call() throws Exception {
        ServeSettings base = ServeSettings.of(listen.port, listen.adminPort, dataDir);
        List<String> proxies = trustedProxies == null ? List.of()
                : trustedProxies.stream().map(String::trim).filter(p -> !p.isEmpty()).toList();
        try {
            TrustedProxies.parse(proxies);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--trusted-proxy: " + e.getMessage());
        }
        EdgeLimits limits;
        try {
            limits = new EdgeLimits(maxConnections, maxConnectionsPerClient, maxEventStreams,
                    Durations.parse(headerTimeout), minBodyRate);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        var parsed = spec.commandLine().getParseResult();
        if (!https && (parsed.hasMatchedOption("--https-port") || parsed.hasMatchedOption("--http-port"))) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--https-port and --http-port need --https (without it, --port is the one HTTP listener)");
        }
        if (https && parsed.hasMatchedOption("--port")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "with --https the listeners are --https-port (443) and --http-port (80), not --port");
        }
        int edgePort = https ? httpPort : listen.port;
        ServeSettings settings = new ServeSettings(host, edgePort, adminHost, listen.adminPort, dataDir,
                base.maxFileInMemory(),
                memoryBudgetMb << 20, Durations.parse(retentionInterval), base.edgeInstances(),
                Durations.parse(upstreamTimeout), proxies, Durations.parse(webSocketDrain), Durations.parse(shutdownDelay),
                Durations.parse(shutdownGrace),
                limits, keepBackends, https ? java.util.OptionalInt.of(httpsPort) : java.util.OptionalInt.empty(),
                acmeSettings(), Observability.DEFAULTS, storeSettings(),
                adminHostNames == null ? List.of() : List.copyOf(adminHostNames));
        settings = settings.withObservability(observability());
        CountDownLatch stop = ListenOptions.stopSignal();
        Gateway gateway = Gateway.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "skewgate-shutdown"));
        spec.commandLine().getOut().println(StartupBanner.text(gateway, settings));
        spec.commandLine().getOut().flush();
        stop.await();
        gateway.close();
        return 0;
    }

    private StoreSettings storeSettings() {
        long cache;
        try {
            cache = StoreSettings.parseSize(blobCacheSize);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--blob-cache-size: " + e.getMessage());
        }
        if (store == null || store.isBlank()) {
            return new StoreSettings(java.util.Optional.empty(), cache);
        }
        return StoreSettings.postgres(store.trim(), cache);
    }

    private Observability observability() {
        Observability watch;
        try {
            watch = Observability.DEFAULTS.withAccessLog(Observability.Format.parse(accessLog),
                    java.util.Optional.ofNullable(accessLogFile));
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (accessLogFile != null && watch.accessLog() == Observability.Format.OFF) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--access-log-file needs --access-log combined or json");
        }
        if (metricsListen == null || metricsListen.isBlank()) {
            return watch;
        }
        int colon = metricsListen.lastIndexOf(':');
        String host = colon < 0 ? "" : metricsListen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(metricsListen.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (colon < 0 || host.isEmpty() || port < 0 || port > 65535) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--metrics-listen: '" + metricsListen
                    + "' is not HOST:PORT (for example 127.0.0.1:9464, or 0.0.0.0:9464 for every interface)");
        }
        return watch.withMetricsListen(host, port);
    }
}
