package dev.skewgate.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate logs SITE [DEPLOYMENT]}: the output of a deployment's backend processes, merged by time. */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = "Show the output of the backend processes Skewgate runs for a deployment (default: the live one), "
                + "one line each as TIME [INSTANCE] TEXT.")
public final class LogsCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "Site name.") String site;
    @Parameters(index = "1", arity = "0..1", description = "Deployment id. Default: the site's active deployment.")
    String deployment;
    @Option(names = "--instance", paramLabel = "N", description = "Only this instance (1, 2, ...).") Integer instance;
    @Option(names = {"--follow", "-f"}, description = "Keep printing new lines until interrupted (Ctrl-C).") boolean follow;
    @Option(names = "--since", paramLabel = "DURATION", description = "Only lines of the last DURATION, e.g. 10m.")
    String since;
    @Option(names = {"--lines", "-n"}, paramLabel = "N", defaultValue = "200",
            description = "At most this many lines from before now. Default: ${DEFAULT-VALUE}") int lines;

    @Override
    public Integer call() {
        if (instance != null && instance < 1) {
            throw new CliException("--instance counts from 1, not " + instance);
        }
        if (lines < 0) {
            throw new CliException("--lines must be 0 or more, not " + lines);
        }
        var out = spec.commandLine().getOut();
        // Each line is flushed as it comes: with --follow a reader waits on it (and `| grep` sees it at once).
        client.client().streamLines(path(), line -> {
            out.println(line);
            out.flush();
        });
        return 0;
    }

    /** The admin API path with its query, e.g. {@code /v1/sites/shop/logs?lines=200&follow=true}. */
    String path() {
        String base = deployment == null ? "/v1/sites/" + encode(site) + "/logs" : "/v1/deployments/" + encode(deployment) + "/logs";
        List<String> query = new ArrayList<>();
        if (instance != null) {
            query.add("instance=" + instance);
        }
        if (since != null) {
            query.add("since=" + encode(since));
        }
        query.add("lines=" + lines);
        if (follow) {
            query.add("follow=true");
        }
        return base + "?" + String.join("&", query);
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
