package dev.skewgate.app;

import dev.skewgate.config.ServeSettings;
import dev.skewgate.demo.Demo;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/** {@code skewgate demo}: a gateway, two API versions and two frontends, ready to try skew protection in a browser. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a gateway with two API versions and two frontends built against them, and print what to try.")
public final class DemoCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ListenOptions listen;

    // Not serve's ./skewgate-data: the demo's site, checks and backends must not follow the user into 'serve'.
    @picocli.CommandLine.Option(names = "--data-dir", defaultValue = "${env:SKEWGATE_DEMO_DATA_DIR:-./skewgate-demo-data}",
            description = "The demo's own data directory (never serve's). Env SKEWGATE_DEMO_DATA_DIR. "
                    + "Default: ${DEFAULT-VALUE}")
    java.nio.file.Path dataDir;

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = ListenOptions.stopSignal();
        try (Gateway gateway = Gateway.start(ServeSettings.of(listen.port, listen.adminPort, dataDir));
             Demo demo = Demo.start(gateway.control(), gateway.edgePort(), gateway.adminPort(), dataDir)) {
            spec.commandLine().getOut().println(demo.script());
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
