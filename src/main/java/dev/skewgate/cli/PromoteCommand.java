package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate promote DEPLOYMENT --to SITE [--activate]}. */
@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "Serve the same build on another site (e.g. staging -> production); no bytes are copied.")
public final class PromoteCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Deployment id (dpl_...).") String deployment;
    @Option(names = "--to", required = true, description = "Target site.") String target;
    @Option(names = "--activate", description = "Activate the promoted deployment right away.") boolean activate;

    @Override
    public Integer call() {
        AdminClient admin = client.client();
        JsonNode copy = admin.post("/v1/deployments/" + deployment + "/promote", Map.of("site", target));
        String id = copy.path("id").asText();
        var out = spec.commandLine().getOut();
        out.println("promoted " + deployment + " to " + target + " as " + id);
        if (activate) {
            admin.post("/v1/sites/" + target + "/activate", Map.of("deployment", id));
            out.println("activated " + id + " on " + target);
        }
        out.flush();
        return 0;
    }
}
