package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate restart SITE DEPLOYMENT}: a rolling restart of a deployment's backend, with the site's env as now. */
@Command(name = "restart", mixinStandardHelpOptions = true,
        description = "Restart a deployment's backend processes one at a time, each with the site's current env "
                + "(what 'skewgate env set' changed); every request is answered meanwhile.")
public final class RestartCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Site name.") String site;
    @Parameters(index = "1", description = "Deployment id.") String deployment;

    @Override
    public Integer call() {
        AdminClient admin = client.client();
        // The id alone names the deployment; the site guards against restarting another site's by a pasted id.
        String owner = admin.get("/v1/deployments/" + deployment).path("site").asText("");
        if (!owner.isEmpty() && !owner.equals(site)) {
            throw new CliException(deployment + " is a deployment of site " + owner + ", not of " + site
                    + " (nothing was restarted)");
        }
        var out = spec.commandLine().getOut();
        if (System.console() != null) { // progress for a person waiting; a script's output stays one answer
            out.println("restarting " + deployment + " one instance at a time...");
            out.flush();
        }
        JsonNode answer = admin.post("/v1/deployments/" + deployment + "/restart", Map.of());
        JsonNode instances = answer.isArray() ? answer : answer.path("instances");
        out.println("restarted " + deployment + " (" + Table.count(instances.size(), "instance") + ")");
        StatusCommand.instanceTable(instances).print(out);
        out.flush();
        return 0;
    }
}
