package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate site create|list|show}. */
@Command(name = "site", description = "Create and inspect sites (one web app in one environment).",
        subcommands = {SiteCommand.Create.class, SiteCommand.ListSites.class, SiteCommand.Show.class})
public final class SiteCommand {

    /** {@code skewgate site create NAME --host H [--host H ...]}. */
    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a site.")
    static final class Create implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name: a-z, 0-9 and '-' (e.g. shop, shop-staging).") String name;
        @Option(names = "--host", required = true, description = "Host name it answers (repeatable; '*.example.com' for a wildcard).")
        List<String> hosts;
        @Option(names = "--api-prefix", description = "Path prefix of the API (repeatable). Default: /api/") List<String> apiPrefixes;
        @Option(names = "--no-spa", description = "Turn the SPA fallback off: unknown routes get 404, not index.html.")
        boolean noSpa;
        @Option(names = "--entry", description = "SPA entry point. Default: index.html") String entry;
        @Option(names = "--skew-window", description = "How long previous deployments keep serving pinned tabs. Default: 24h")
        String skewWindow;
        @Option(names = "--keep-previous", description = "Previous deployments kept whatever their age. Default: 5")
        Integer keepPrevious;

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("hosts", hosts);
            if (apiPrefixes != null) {
                body.put("apiPrefixes", apiPrefixes);
            }
            if (noSpa) {
                body.put("spa", false);
            }
            if (entry != null) {
                body.put("entryPoint", entry);
            }
            Map<String, Object> retention = new LinkedHashMap<>();
            if (skewWindow != null) {
                retention.put("skewWindow", skewWindow);
            }
            if (keepPrevious != null) {
                retention.put("keepPrevious", keepPrevious);
            }
            if (!retention.isEmpty()) {
                body.put("retention", retention);
            }
            JsonNode site = client.client().post("/v1/sites", body);
            spec.commandLine().getOut().println("created site " + site.path("name").asText() + " for "
                    + String.join(", ", texts(site.path("hosts"))));
            return 0;
        }
    }

    /** {@code skewgate site list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List sites.")
    static final class ListSites implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Table table = new Table("SITE", "ACTIVE", "HOSTS");
            for (JsonNode s : client.client().get("/v1/sites").path("sites")) {
                table.row(s.path("name").asText(), s.path("activeDeployment").asText("-").replace("null", "-"),
                        String.join(", ", texts(s.path("hosts"))));
            }
            table.print(spec.commandLine().getOut());
            return 0;
        }
    }

    /** {@code skewgate site show NAME}. */
    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a site's settings.")
    static final class Show implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String name;

        @Override
        public Integer call() {
            JsonNode s = client.client().get("/v1/sites/" + name);
            var out = spec.commandLine().getOut();
            out.println("site:         " + s.path("name").asText());
            out.println("hosts:        " + String.join(", ", texts(s.path("hosts"))));
            out.println("api prefixes: " + String.join(", ", texts(s.path("apiPrefixes"))));
            out.println("spa:          " + s.path("spa").asBoolean() + " (entry " + s.path("entryPoint").asText() + ")");
            JsonNode r = s.path("retention");
            out.println("retention:    skew window " + r.path("skewWindow").asText() + ", keep " + r.path("keepPrevious").asInt()
                    + " previous, purge retired after " + r.path("purgeAfter").asText());
            out.println("active:       " + (s.path("activeDeployment").isNull() ? "-" : s.path("activeDeployment").asText()));
            out.println("revision:     " + s.path("revision").asLong());
            out.flush();
            return 0;
        }
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
