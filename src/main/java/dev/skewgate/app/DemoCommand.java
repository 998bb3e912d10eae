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

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = ListenOptions.stopSignal();
        Demo demo = Demo.start(ServeSettings.of(listen.port, listen.adminPort, listen.dataDir));
        spec.commandLine().getOut().println(demo.script());
        spec.commandLine().getOut().flush();
        stop.await();
        demo.close();
        return 0;
    }
}
