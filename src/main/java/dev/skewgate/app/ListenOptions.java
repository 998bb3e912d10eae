package dev.skewgate.app;

import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** Where a gateway process listens: shared by {@code serve} and {@code demo} (each has its own data folder). */
public final class ListenOptions {

    @Option(names = "--port", defaultValue = "${env:SKEWGATE_PORT:-8080}",
            description = "Edge (data plane) port. Env SKEWGATE_PORT. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--admin-port", defaultValue = "${env:SKEWGATE_ADMIN_PORT:-8081}",
            description = "Admin API port. Env SKEWGATE_ADMIN_PORT. Default: ${DEFAULT-VALUE}")
    int adminPort;

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
