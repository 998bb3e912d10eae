package dev.skewgate.app;

import dev.skewgate.config.ServeSettings;
import dev.skewgate.demo.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/** {@code skewgate demo}: a gateway, two API versions and two frontends, ready to try skew protection in a browser. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a gateway with two API versions and two frontends built against them, and print what to try.")
public final class DemoCommand implements Callable<Integer> {

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "${env:SKEWGATE_PORT:-8080}", description = "Edge port. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--admin-port", defaultValue = "${env:SKEWGATE_ADMIN_PORT:-8081}",
            description = "Admin API port. Default: ${DEFAULT-VALUE}")
    int adminPort;

    @Option(names = "--data-dir", defaultValue = "${env:SKEWGATE_DATA_DIR:-./skewgate-data}",
            description = "Data directory. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), sig -> stop.countDown());
        }
        Demo demo = Demo.start(ServeSettings.of(port, adminPort, dataDir));
        spec.commandLine().getOut().println(demo.script());
        spec.commandLine().getOut().flush();
        stop.await();
        demo.close();
        return 0;
    }
}
