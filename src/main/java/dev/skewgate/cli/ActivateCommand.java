package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate activate SITE DEPLOYMENT}. */
@Command(name = "activate", mixinStandardHelpOptions = true,
        description = "Make a deployment the one every new page load gets.")
public final class ActivateCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Site name.") String site;
    @Parameters(index = "1", description = "Deployment id (dpl_...).") String deployment;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        JsonNode answer = Activation.run(client.client(), site, deployment, out);
        if (answer.path("changed").asBoolean()) {
            JsonNode event = answer.path("event");
            out.println("activated " + deployment + " on " + site
                    + (event.path("previous").isNull() ? "" : " (was " + event.path("previous").asText() + ")"));
        } else {
            out.println(deployment + " is already active on " + site);
        }
        Activation.nodes(answer, out);
        out.flush();
        return 0;
    }
}
