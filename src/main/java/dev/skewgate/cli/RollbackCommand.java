package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate rollback SITE}. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Re-activate the deployment that was active before the current one.")
public final class RollbackCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Site name.") String site;

    @Override
    public Integer call() {
        JsonNode answer = client.client().post("/v1/sites/" + site + "/rollback", Map.of());
        JsonNode event = answer.path("event");
        spec.commandLine().getOut().println("rolled back " + site + " to " + event.path("deployment").asText()
                + " (was " + event.path("previous").asText() + ")");
        Activation.nodes(answer, spec.commandLine().getOut());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
