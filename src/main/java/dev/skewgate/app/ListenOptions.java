package dev.skewgate.app;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** Where a gateway process listens and keeps its data: shared by {@code serve} and {@code demo}. */
public final class ListenOptions {

    @Option(names = "--port", defaultValue = "${env:SKEWGATE_PORT:-8080}",
            description = "Edge (data plane) port. Env SKEWGATE_PORT. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--admin-port", defaultValue = "${env:SKEWGATE_ADMIN_PORT:-8081}",
            description = "Admin API port. Env SKEWGATE_ADMIN_PORT. Default: ${DEFAULT-VALUE}")
    int adminPort;

    @Option(names = "--data-dir", defaultValue = "${env:SKEWGATE_DATA_DIR:-./skewgate-data}",
            description = "Data directory (SQLite metadata, blobs, admin token). Env SKEWGATE_DATA_DIR. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    /**
     * A latch released by SIGTERM or SIGINT. Installed before the gateway starts, so a signal during startup is not
     * lost; the caller then stops cleanly and returns 0 (instead of the JVM's 143).
     */
    static CountDownLatch stopSignal() {
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), sig -> stop.countDown());
        }
        return stop;
    }
}
