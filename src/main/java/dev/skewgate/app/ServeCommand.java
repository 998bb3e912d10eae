package dev.skewgate.app;

import dev.skewgate.config.ServeSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code skewgate serve}: runs the gateway until it is told to stop. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the gateway: edge listener, admin API, embedded store (SQLite + blob folder).")
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "${env:SKEWGATE_PORT:-8080}",
            description = "Edge (data plane) port. Env SKEWGATE_PORT. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--host", defaultValue = "${env:SKEWGATE_HOST:-0.0.0.0}",
            description = "Edge listen address. Env SKEWGATE_HOST. Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--admin-port", defaultValue = "${env:SKEWGATE_ADMIN_PORT:-8081}",
            description = "Admin API port. Env SKEWGATE_ADMIN_PORT. Default: ${DEFAULT-VALUE}")
    int adminPort;

    @Option(names = "--admin-host", defaultValue = "${env:SKEWGATE_ADMIN_HOST:-127.0.0.1}",
            description = "Admin API listen address; keep it on loopback unless a proxy with TLS guards it. "
                    + "Env SKEWGATE_ADMIN_HOST. Default: ${DEFAULT-VALUE}")
    String adminHost;

    @Option(names = "--data-dir", defaultValue = "${env:SKEWGATE_DATA_DIR:-./skewgate-data}",
            description = "Data directory (SQLite metadata, blobs, admin token). Env SKEWGATE_DATA_DIR. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--memory-budget-mb", defaultValue = "${env:SKEWGATE_MEMORY_BUDGET_MB:-256}",
            description = "Memory for serving small files from RAM. Default: ${DEFAULT-VALUE}")
    long memoryBudgetMb;

    @Option(names = "--retention-interval", defaultValue = "60s", hidden = true)
    String retentionInterval;

    @Override
    public Integer call() throws Exception {
        ServeSettings base = ServeSettings.of(port, adminPort, dataDir);
        ServeSettings settings = new ServeSettings(host, port, adminHost, adminPort, dataDir, base.maxFileInMemory(),
                memoryBudgetMb << 20, Duration.ofSeconds(dev.skewgate.model.Durations.parse(retentionInterval).getSeconds()),
                base.edgeInstances());
        Gateway gateway = Gateway.start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.close();
            stopped.countDown();
        }, "skewgate-shutdown"));
        stopped.await();
        return 0;
    }
}
