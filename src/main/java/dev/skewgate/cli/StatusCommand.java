package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code skewgate status SITE}: which version is live, what else is still served, and the processes of each backend
 * Skewgate runs.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show a site's deployments and which one is live.")
public final class StatusCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Site name.") String site;
    @picocli.CommandLine.Option(names = "--watch", description = "Refresh in place until Ctrl-C.") boolean watch;
    @picocli.CommandLine.Option(names = "--interval", defaultValue = "2s",
            description = "With --watch: how often. Default: ${DEFAULT-VALUE}") String interval;

    /** Clears a terminal and puts the cursor top left (ECMA-48 CUP and ED). */
    private static final String CLEAR = "\033[H\033[2J";

    @Override
    public Integer call() {
        if (!watch) {
            return render(spec.commandLine().getOut());
        }
        java.time.Duration every;
        try {
            every = dev.skewgate.model.Durations.parse(interval);
        } catch (IllegalArgumentException e) {
            throw new CliException("--interval: " + e.getMessage());
        }
        if (every.toMillis() < 1000) {
            throw new CliException("--interval must be at least 1s");
        }
        var raw = Terminal.raw(spec.commandLine().getOut());
        boolean terminal = System.console() != null;
        while (true) {
            java.io.StringWriter frame = new java.io.StringWriter();
            var safe = Terminal.safe(new java.io.PrintWriter(frame));
            safe.println("every " + interval + " at " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                    + " (Ctrl-C to stop)");
            render(safe);
            safe.flush();
            // Only the clear sequence is written raw: everything the gateway sent went through the safe writer.
            raw.print((terminal ? CLEAR : "\n") + frame);
            raw.flush();
            try {
                Thread.sleep(every.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }
    }

    private int render(java.io.PrintWriter out) {
        JsonNode status = client.client().get("/v1/sites/" + site + "/status");
        JsonNode s = status.path("site");
        out.println("site " + s.path("name").asText() + " (" + String.join(", ", SiteCommand.texts(s.path("hosts")))
                + ")  live: " + (s.path("activeDeployment").isNull() ? "none" : s.path("activeDeployment").asText()));
        JsonNode health = client.client().get("/v1/health");
        if (!health.path("store").asText("sqlite").equals("sqlite")) {
            out.println("store: " + health.path("store").asText() + " at " + health.path("storeAt").asText());
            // Several nodes may share it: each one's view, and whether this site is served the same everywhere.
            for (JsonNode n : client.client().get("/v1/nodes").path("nodes")) {
                String serving = n.path("serving").path(site).asText("none");
                out.println("node " + n.path("node").asText() + " " + n.path("address").asText() + "  "
                        + (n.path("live").asBoolean() ? "live" : "GONE") + ", heartbeat "
                        + Math.round(n.path("secondsSinceHeartbeat").asDouble()) + " s ago, serves " + serving
                        + (serving.equals(text(s.path("activeDeployment"))) ? "" : " (behind)") + ", tabs "
                        + n.path("openTabs").asInt() + ", req/min " + n.path("requestsLastMinute").asLong());
            }
        }
        if (s.path("hsts").isObject() || s.path("compressProxied").asBoolean(false)) {
            out.println("responses: " + SiteCommand.responses(s));
        }
        for (JsonNode alert : status.path("alerts")) {
            String hint = "";
            if (alert.path("kind").asText("").equals("BACKEND_FAILING") && !text(alert.path("deployment")).isEmpty()) {
                hint = " (its output: skewgate logs " + site + " " + alert.path("deployment").asText()
                        + (text(alert.path("instance")).isEmpty() ? "" : " --instance " + alert.path("instance").asText())
                        + ")";
            } else if (!text(alert.path("lastClient")).isEmpty()) {
                hint = " (latest from " + alert.path("lastClient").asText() + ")";
            }
            out.println("ALERT: " + alert.path("message").asText() + hint);
        }
        out.println();
        // The BACKEND column only when a deployment has a backend Skewgate runs: a static site's table stays as it was.
        boolean managed = false;
        for (JsonNode d : status.path("deployments")) {
            managed |= !text(d.path("backendState")).isEmpty() || d.path("instances").size() > 0;
        }
        List<String> header = new ArrayList<>(List.of("ID", "STATE", "CREATED", "GIT", "MESSAGE", "FILES", "SIZE", "TABS",
                "REQ/MIN", "LAST REQUEST"));
        if (managed) {
            header.add("BACKEND");
        }
        Table table = new Table(header.toArray(String[]::new));
        for (JsonNode d : status.path("deployments")) {
            String message = d.path("message").asText();
            if (message.length() > 32) {
                message = message.substring(0, 31) + "\u2026";
            }
            boolean retired = d.path("state").asText().equals("retired") || d.path("state").asText().equals("purged");
            long late = d.path("requestsAfterRetirementLast5Minutes").asLong();
            String perMinute = retired ? (late > 0 ? late + " in 5m!" : "0")
                    : Long.toString(d.path("requestsLastMinute").asLong());
            String git = d.path("gitSha").asText("");
            List<String> row = new ArrayList<>(List.of(d.path("id").asText(), d.path("state").asText(),
                    Table.time(d.path("createdAt").asText()),
                    git.isEmpty() || git.equals("null") ? "-" : git.substring(0, Math.min(7, git.length())), message,
                    Integer.toString(d.path("files").asInt()), Table.bytes(d.path("bytes").asLong()),
                    Integer.toString(d.path("openTabs").asInt() + d.path("webSockets").asInt()), perMinute,
                    Table.time(d.path("lastRequest").asText())));
            if (managed) {
                row.add(text(d.path("backendState")).isEmpty() ? "-" : d.path("backendState").asText());
            }
            table.row(row.toArray(String[]::new));
        }
        table.print(out);
        for (JsonNode d : status.path("deployments")) {
            if (d.path("instances").size() > 0) {
                out.println();
                out.println("instances of " + d.path("id").asText() + " (" + d.path("state").asText()
                        + (text(d.path("backendState")).isEmpty() ? "" : ", backend " + d.path("backendState").asText())
                        + "):");
                instanceTable(d.path("instances")).print(out);
            }
        }
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
        JsonNode certs = status.path("certificates");
        boolean any = false;
        for (JsonNode c : certs) {
            any |= !c.path("source").isNull() && !c.path("source").isMissingNode();
        }
        if (any) { // only once certificates are in use: a plain-HTTP site's status stays as it was
            out.println();
            Table t = new Table("HOST", "CERTIFICATE", "ISSUER", "EXPIRES");
            for (JsonNode c : certs) {
                boolean none = c.path("source").isNull() || c.path("source").isMissingNode()
                        || !c.path("notAfter").isTextual();
                t.row(c.path("host").asText(), none ? "NONE" : c.path("source").asText() + " ("
                                + c.path("coveredBy").asText() + ")", none ? "-" : c.path("issuer").asText(),
                        none ? "-" : Table.time(c.path("notAfter").asText())
                                + (c.path("expiringSoon").asBoolean() ? " (soon!)" : ""));
            }
            t.print(out);
        }
        return 0;
    }

    /** One row per backend instance, as {@code status} and {@code restart} print them. */
    static Table instanceTable(JsonNode instances) {
        Table t = new Table("INSTANCE", "PID", "PORT", "STATE", "UPTIME", "RESTARTS", "RSS", "ENV", "LAST EXIT");
        for (JsonNode i : instances) {
            t.row(i.path("index").asText(), orDash(i.path("pid")), orDash(i.path("port")), i.path("state").asText(),
                    i.path("uptimeSeconds").isNumber() ? Table.duration(i.path("uptimeSeconds").asLong()) : "-",
                    Integer.toString(i.path("restarts").asInt()),
                    i.path("rssBytes").isNumber() ? Table.bytes(i.path("rssBytes").asLong()) : "-",
                    i.path("envRevision").isNumber() ? "rev " + i.path("envRevision").asLong() : "-",
                    orDash(i.path("lastExit")));
        }
        return t;
    }

    private static String orDash(JsonNode value) {
        String text = text(value);
        return text.isEmpty() ? "-" : text;
    }

    /** The node's text, or empty for null and missing ones. */
    private static String text(JsonNode value) {
        return value.isNull() || value.isMissingNode() ? "" : value.asText();
    }
}
