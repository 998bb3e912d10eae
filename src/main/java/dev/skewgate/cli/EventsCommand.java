package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate events SITE}: the audit log, newest first. */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Show a site's audit log, newest first.")
public final class EventsCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Site name.") String site;
    @Option(names = "--limit", defaultValue = "20", description = "How many events. Default: ${DEFAULT-VALUE}") int limit;

    @Override
    public Integer call() {
        JsonNode events = client.client().get("/v1/sites/" + site + "/events?limit=" + limit).path("events");
        Table table = new Table("#", "AT", "TYPE", "DEPLOYMENT", "PREVIOUS", "BY", "NOTIFIED", "DETAIL");
        for (JsonNode e : events) {
            table.row(e.path("seq").asText(), Table.time(e.path("at").asText()), e.path("type").asText(),
                    text(e.path("deployment")), text(e.path("previous")), e.path("actor").asText(),
                    e.path("notified").asText(), e.path("detail").asText());
        }
        table.print(spec.commandLine().getOut());
        return 0;
    }

    private static String text(JsonNode n) {
        return n.isNull() || n.isMissingNode() ? "-" : n.asText();
    }
}
