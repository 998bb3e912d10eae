package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate status SITE}: which version is live and what else is still served. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show a site's deployments and which one is live.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Site name.") String site;

    @Override
    public Integer call() {
        JsonNode status = client.client().get("/v1/sites/" + site + "/status");
        JsonNode s = status.path("site");
        var out = spec.commandLine().getOut();
        out.println("site " + s.path("name").asText() + " (" + String.join(", ", SiteCommand.texts(s.path("hosts")))
                + ")  active: " + (s.path("activeDeployment").isNull() ? "none" : s.path("activeDeployment").asText()));
        out.println();
        Table table = new Table("ID", "STATE", "CREATED", "MESSAGE", "FILES", "SIZE");
        for (JsonNode d : status.path("deployments")) {
            String message = d.path("message").asText();
            if (message.length() > 40) {
                message = message.substring(0, 39) + "…";
            }
            table.row(d.path("id").asText(), d.path("state").asText(), Table.time(d.path("createdAt").asText()),
                    message, Integer.toString(d.path("files").asInt()), Table.bytes(d.path("bytes").asLong()));
        }
        table.print(out);
        return 0;
    }
}
