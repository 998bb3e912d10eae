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
                + ")  live: " + (s.path("activeDeployment").isNull() ? "none" : s.path("activeDeployment").asText()));
        for (JsonNode alert : status.path("alerts")) {
            out.println("ALERT: " + alert.path("message").asText() + " (latest from " + alert.path("lastClient").asText() + ")");
        }
        out.println();
        Table table = new Table("ID", "STATE", "CREATED", "GIT", "MESSAGE", "FILES", "SIZE", "TABS", "REQ/MIN",
                "LAST REQUEST");
        for (JsonNode d : status.path("deployments")) {
            String message = d.path("message").asText();
            if (message.length() > 32) {
                message = message.substring(0, 31) + "\u2026";
            }
            boolean retired = d.path("state").asText().equals("retired") || d.path("state").asText().equals("purged");
            String perMinute = retired ? d.path("requestsAfterRetirementLast5Minutes").asLong() + " in 5m!"
                    : Long.toString(d.path("requestsLastMinute").asLong());
            String git = d.path("gitSha").asText("");
            table.row(d.path("id").asText(), d.path("state").asText(), Table.time(d.path("createdAt").asText()),
                    git.isEmpty() || git.equals("null") ? "-" : git.substring(0, Math.min(7, git.length())), message, Integer.toString(d.path("files").asInt()), Table.bytes(d.path("bytes").asLong()),
                    Integer.toString(d.path("openTabs").asInt() + d.path("webSockets").asInt()), perMinute,
                    Table.time(d.path("lastRequest").asText()));
        }
        table.print(out);
        JsonNode checks = status.path("checks");
        if (checks.size() > 0) {
            out.println();
            Table t = new Table("HOST", "CHECK", "DEPLOYMENT", "RESULT", "AT");
            for (JsonNode c : checks) {
                t.row(c.path("host").asText(), c.path("check").asText(), c.path("deployment").asText(),
                        (c.path("ok").asBoolean() ? "ok " : "FAILED ") + c.path("detail").asText(), Table.time(c.path("at").asText()));
            }
            t.print(out);
        }
        return 0;
    }
}
