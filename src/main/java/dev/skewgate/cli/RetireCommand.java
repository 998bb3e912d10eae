package dev.skewgate.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate retire SITE DEPLOYMENT}. */
@Command(name = "retire", mixinStandardHelpOptions = true,
        description = "Stop serving a previous or staged deployment, even to clients pinned to it.")
public final class RetireCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Site name.") String site;
    @Parameters(index = "1", description = "Deployment id (dpl_...).") String deployment;

    @Override
    public Integer call() {
        client.client().post("/v1/sites/" + site + "/retire", Map.of("deployment", deployment));
        spec.commandLine().getOut().println("retired " + deployment + " on " + site);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
