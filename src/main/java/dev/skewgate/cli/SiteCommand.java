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

/** {@code skewgate site create|update|list|show|delete}. */
@Command(name = "site", mixinStandardHelpOptions = true,
        description = "Create, change, inspect and delete sites (one web app in one environment).",
        subcommands = {SiteCommand.Create.class, SiteCommand.Update.class, SiteCommand.ListSites.class,
                SiteCommand.Show.class, SiteCommand.Delete.class})
public final class SiteCommand {

    /** Settings shared by {@code site create} and {@code site update}; unset options leave the value alone. */
    static final class SiteOptions {
        @Option(names = "--api-prefix", description = "Path prefix of the API (repeatable). Default: /api/") List<String> apiPrefixes;
        @Option(names = "--spa", negatable = true, description = "SPA fallback: unknown routes get the entry point (default on).")
        Boolean spa;
        @Option(names = "--entry", description = "SPA entry point. Default: index.html") String entry;
        @Option(names = "--skew-window", description = "How long previous deployments keep serving pinned tabs. Default: 24h")
        String skewWindow;
        @Option(names = "--keep-previous", description = "Previous deployments kept whatever their age. Default: 5")
        Integer keepPrevious;
        @Option(names = "--sdk", negatable = true, description = "Inject the browser SDK into entry points (default on).")
        Boolean sdk;
        @Option(names = "--strategy", description = "What open tabs do on a new version: banner (default), "
                + "reload-on-navigation, reload-when-hidden, callback.") String strategy;
        @Option(names = "--poll-interval", description = "How often the SDK polls while the event stream is down. Default: 5m")
        String pollInterval;
        @Option(names = "--api-origin", description = "Another origin (https://api.example.com) whose requests carry the "
                + "deployment header (repeatable).") List<String> apiOrigins;
        @Option(names = "--config-alias", description = "Also serve the runtime config at this path, e.g. /config.json "
                + "('' removes it).") String configAlias;
        @Option(names = "--default-backend", description = "Backend URL for deployments that bring none ('' removes it).")
        String defaultBackend;
        @Option(names = "--default-health", description = "Health path of the default backend. Default: /") String defaultHealth;
        @Option(names = "--readiness-probes", description = "Consecutive 2xx health answers needed before a switch "
                + "(0 turns readiness off). Default: 3") Integer readinessProbes;
        @Option(names = "--readiness-timeout", description = "How long a backend may take to become ready. Default: 30s")
        String readinessTimeout;
        @Option(names = "--synthetic-checks", negatable = true, description = "Check every host name through the gateway "
                + "before a switch (default on).") Boolean synthetic;
        @Option(names = "--check-interval", description = "Re-check the live version this often (0s: never). Default: 1m")
        String checkInterval;
        @Option(names = "--auto-rollback", negatable = true, description = "Roll back when the continuous checks fail "
                + "twice in a row after a switch (default off).") Boolean autoRollback;
        @Option(names = "--retire-when-idle", description = "Retire a previous deployment once it has had no requests and "
                + "no open tabs for this long, e.g. 30m ('' turns it off).") String retireWhenIdle;
        @Option(names = "--run", paramLabel = "CMD", description = "Default start command of backends deployed with "
                + "--backend-dir, e.g. \"node index.js\" ('' removes it).") String run;
        @Option(names = "--instances", paramLabel = "N", description = "Default number of backend processes, 1 to "
                + DeployCommand.MAX_INSTANCES + " ('' removes it: 1).") String instances;
        @Option(names = "--health", paramLabel = "PATH", description = "Default health path of backends deployed with "
                + "--backend-dir, e.g. /api/health ('' removes it: /). For --default-backend see --default-health.")
        String health;
        @Option(names = "--release", paramLabel = "CMD", description = "Default release command, run once before a new "
                + "backend's instances start ('' removes it).") String release;
        @Option(names = "--max-memory", paramLabel = "SIZE", description = "Default RSS bound of a backend instance, "
                + "e.g. 512M ('' removes it).") String maxMemory;
        @Option(names = "--kill-timeout", paramLabel = "DURATION", description = "Default time between SIGTERM and "
                + "SIGKILL for a backend instance, e.g. 15s ('' removes it: 10s).") String killTimeout;
        @Option(names = "--idle-stop", paramLabel = "DURATION", description = "Stop a previous deployment's backend "
                + "after this long without requests or open tabs, e.g. 10m ('' turns it off).") String idleStop;
        @Option(names = "--backend-auto-rollback", negatable = true, description = "Roll back when the active "
                + "deployment's backend crash-loops (default off).") Boolean backendAutoRollback;
        @Option(names = "--hsts", paramLabel = "POLICY", description = "Send Strict-Transport-Security on every response "
                + "over HTTPS, e.g. 'max-age=31536000; includeSubDomains' (add '; preload' for the preload list); "
                + "'' or 'off' turns it off (default off).") String hsts;
        @Option(names = "--compress-proxied", negatable = true, description = "Compress proxied responses the backend "
                + "sent uncompressed (br or gzip, by Accept-Encoding; default off).") Boolean compressProxied;
        @Option(names = "--wildcard-sample", description = "Name to check for a wildcard host, as WILDCARD=NAME, e.g. "
                + "'*.example.com=www.example.com' (repeatable).") Map<String, String> wildcardSamples;

        Map<String, Object> body() {
            Map<String, Object> body = new LinkedHashMap<>();
            if (apiPrefixes != null) {
                body.put("apiPrefixes", apiPrefixes);
            }
            if (spa != null) {
                body.put("spa", spa);
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
            Map<String, Object> client = new LinkedHashMap<>();
            if (sdk != null) {
                client.put("injectSdk", sdk);
            }
            if (strategy != null) {
                client.put("strategy", strategy);
            }
            if (pollInterval != null) {
                client.put("pollInterval", pollInterval);
            }
            if (apiOrigins != null) {
                client.put("apiOrigins", apiOrigins);
            }
            if (configAlias != null) {
                client.put("configAlias", configAlias.isEmpty() ? null : configAlias);
            }
            if (!client.isEmpty()) {
                body.put("client", client);
            }
            if (defaultBackend != null) {
                body.put("defaultBackend", defaultBackend.isEmpty() ? null : Map.of("upstreams", List.of(defaultBackend),
                        "healthPath", defaultHealth == null ? "/" : defaultHealth));
            }
            Map<String, Object> checks = new LinkedHashMap<>();
            if (readinessProbes != null) {
                checks.put("readinessProbes", readinessProbes);
            }
            if (readinessTimeout != null) {
                checks.put("readinessTimeout", readinessTimeout);
            }
            if (synthetic != null) {
                checks.put("synthetic", synthetic);
            }
            if (checkInterval != null) {
                checks.put("interval", checkInterval);
            }
            if (autoRollback != null) {
                checks.put("autoRollback", autoRollback);
            }
            if (retireWhenIdle != null) {
                checks.put("retireWhenIdle", retireWhenIdle.isEmpty() ? null : retireWhenIdle);
            }
            if (wildcardSamples != null) {
                checks.put("wildcardSamples", wildcardSamples);
            }
            if (!checks.isEmpty()) {
                body.put("checks", checks);
            }
            Map<String, Object> backend = backendDefaults();
            if (!backend.isEmpty()) {
                body.put("backendDefaults", backend);
            }
            if (hsts != null) {
                body.put("hsts", hsts(hsts));
            }
            if (compressProxied != null) {
                body.put("compressProxied", compressProxied);
            }
            return body;
        }

        /**
         * The header's own syntax (RFC 6797 §6.1: directives separated by ';', names case-insensitive, max-age's value
         * optionally quoted) as the wire's object, or null (off). The gateway checks the values (a negative max-age,
         * preload without includeSubDomains or under a year); this only reads the text.
         */
        static Map<String, Object> hsts(String text) {
            if (text.isBlank() || text.strip().equalsIgnoreCase("off")) {
                return null;
            }
            Long maxAge = null;
            boolean subdomains = false;
            boolean preload = false;
            for (String part : text.split(";")) {
                String d = part.strip();
                int eq = d.indexOf('=');
                String name = (eq < 0 ? d : d.substring(0, eq)).strip().toLowerCase(java.util.Locale.ROOT);
                switch (name) {
                    case "" -> { }
                    case "max-age" -> {
                        String v = eq < 0 ? "" : d.substring(eq + 1).strip().replaceAll("^\"(.*)\"$", "$1");
                        try {
                            maxAge = Long.parseLong(v);
                        } catch (NumberFormatException e) {
                            throw new CliException("--hsts: max-age must be a number of seconds, e.g. max-age=31536000, "
                                    + "not '" + v + "'");
                        }
                    }
                    case "includesubdomains" -> subdomains = true;
                    case "preload" -> preload = true;
                    default -> throw new CliException("--hsts: unknown directive '" + d + "' (use max-age=SECONDS, "
                            + "includeSubDomains, preload)");
                }
            }
            if (maxAge == null) {
                throw new CliException("--hsts needs max-age=SECONDS, e.g. 'max-age=31536000; includeSubDomains'");
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("maxAge", maxAge);
            out.put("includeSubDomains", subdomains);
            out.put("preload", preload);
            return out;
        }

        /** The managed-backend defaults as a merge patch: '' becomes null, which removes the value. */
        private Map<String, Object> backendDefaults() {
            Map<String, Object> backend = new LinkedHashMap<>();
            removableText(backend, "run", run);
            if (instances != null) {
                backend.put("instances", instances.isEmpty() ? null : instances(instances));
            }
            removableText(backend, "healthPath", health);
            removableText(backend, "release", release);
            removableText(backend, "maxMemory", maxMemory);
            removableText(backend, "killTimeout", killTimeout);
            removableText(backend, "idleStop", idleStop);
            if (backendAutoRollback != null) {
                backend.put("autoRollback", backendAutoRollback);
            }
            return backend;
        }

        private static void removableText(Map<String, Object> out, String key, String value) {
            if (value != null) {
                out.put(key, value.isEmpty() ? null : value);
            }
        }

        private static int instances(String text) {
            int n;
            try {
                n = Integer.parseInt(text.strip());
            } catch (NumberFormatException e) {
                throw new CliException("--instances must be a number between 1 and " + DeployCommand.MAX_INSTANCES
                        + " (or '' to remove the default)");
            }
            if (n < 1 || n > DeployCommand.MAX_INSTANCES) {
                throw new CliException("--instances must be between 1 and " + DeployCommand.MAX_INSTANCES + ", not " + n);
            }
            return n;
        }
    }

    /** {@code skewgate site create NAME --host H [--host H ...]}. */
    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a site.")
    static final class Create implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name: a-z, 0-9 and '-' (e.g. shop, shop-staging).") String name;
        @Option(names = "--host", required = true, description = "Host name it answers (repeatable; '*.example.com' for a wildcard).")
        List<String> hosts;
        @picocli.CommandLine.ArgGroup(exclusive = false) SiteOptions options = new SiteOptions();

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("name", name);
            body.put("hosts", hosts);
            body.putAll((options == null ? new SiteOptions() : options).body());
            JsonNode site = client.client().post("/v1/sites", body);
            spec.commandLine().getOut().println("created site " + site.path("name").asText() + " for "
                    + String.join(", ", texts(site.path("hosts"))));
            return 0;
        }
    }

    /** {@code skewgate site update NAME [--host H ...] [settings]}. */
    @Command(name = "update", mixinStandardHelpOptions = true, description = "Change a site's hosts or settings.")
    static final class Update implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String name;
        @Option(names = "--host", description = "Replace the host names (repeatable).") List<String> hosts;
        @picocli.CommandLine.ArgGroup(exclusive = false) SiteOptions options = new SiteOptions();

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>((options == null ? new SiteOptions() : options).body());
            if (hosts != null) {
                body.put("hosts", hosts);
            }
            if (body.isEmpty()) {
                throw new CliException("nothing to change: give --host or a setting (see --help)");
            }
            JsonNode site = client.client().patch("/v1/sites/" + name, body);
            spec.commandLine().getOut().println("updated site " + site.path("name").asText() + " (revision "
                    + site.path("revision").asLong() + ")");
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

    /** {@code skewgate site delete NAME [--force]}. */
    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a site: every deployment is "
            + "retired (open tabs are told), its hosts are released, its audit log is kept; retention removes its files "
            + "later. Refused while a deployment is live, unless --force.")
    static final class Delete implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String name;
        @Option(names = "--force", description = "Delete it even though a deployment is live (its hosts go off the air).")
        boolean force;

        @Override
        public Integer call() {
            JsonNode answer = client.client().delete("/v1/sites/" + name + (force ? "?force=true" : ""));
            var out = spec.commandLine().getOut();
            List<String> retired = texts(answer.path("retired"));
            out.println("deleted site " + name + "; retired " + Table.count(retired.size(), "deployment")
                    + (retired.isEmpty() ? "" : " (" + String.join(", ", retired) + ")")
                    + "; its audit log is kept, its files are removed by retention");
            out.flush();
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
            JsonNode c = s.path("client");
            out.println("open tabs:    strategy " + c.path("strategy").asText() + ", sdk " + (c.path("injectSdk").asBoolean()
                    ? "injected" : "not injected") + ", poll every " + c.path("pollInterval").asText()
                    + (c.path("configAlias").isNull() ? "" : ", config also at " + c.path("configAlias").asText()));
            out.println("config:       revision " + s.path("configRevision").asLong() + "; webhook secrets: "
                    + s.path("webhookSecrets").asInt());
            JsonNode b = s.path("defaultBackend");
            out.println("backend:      " + (b.isNull() || b.isMissingNode() ? "none by default (per deployment: deploy --backend)"
                    : String.join(", ", texts(b.path("upstreams"))) + " (health " + b.path("healthPath").asText() + ")"));
            JsonNode m = s.path("backendDefaults");
            if (m.isObject() && !managedDefaults(m).isEmpty()) {
                out.println("run backends: " + managedDefaults(m) + " (defaults of deploy --backend-dir)");
            }
            JsonNode k = s.path("checks");
            out.println("checks:       " + k.path("readinessProbes").asInt() + " readiness probes (within "
                    + k.path("readinessTimeout").asText() + "), synthetic " + (k.path("synthetic").asBoolean() ? "on" : "off")
                    + ", every " + k.path("interval").asText() + ", auto-rollback "
                    + (k.path("autoRollback").asBoolean() ? "on" : "off")
                    + (k.path("retireWhenIdle").isNull() ? "" : ", retire when idle " + k.path("retireWhenIdle").asText()));
            out.println("responses:    " + responses(s));
            out.println("active:       " + (s.path("activeDeployment").isNull() ? "-" : s.path("activeDeployment").asText()));
            out.println("revision:     " + s.path("revision").asLong());
            out.flush();
            return 0;
        }
    }

    /** What the gateway adds to the site's responses, in words: the HSTS header and on-the-fly compression. */
    static String responses(JsonNode s) {
        return "HSTS " + hstsText(s).orElse("off") + ", proxied responses "
                + (s.path("compressProxied").asBoolean(false) ? "compressed when the backend did not" : "as the backend sent them");
    }

    /** The site's Strict-Transport-Security value as sent (over HTTPS only), when it has one. */
    static java.util.Optional<String> hstsText(JsonNode s) {
        JsonNode h = s.path("hsts");
        if (!h.isObject()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("max-age=" + h.path("maxAge").asLong()
                + (h.path("includeSubDomains").asBoolean() ? "; includeSubDomains" : "")
                + (h.path("preload").asBoolean() ? "; preload" : "") + " (over HTTPS)");
    }

    /** The site's managed-backend defaults in words: only the ones that are set. */
    static String managedDefaults(JsonNode m) {
        List<String> parts = new ArrayList<>();
        String[][] named = {{"run", "run "}, {"instances", "instances "}, {"healthPath", "health "},
                {"release", "release "}, {"maxMemory", "max memory "}, {"killTimeout", "kill timeout "},
                {"idleStop", "idle stop "}};
        for (String[] n : named) {
            JsonNode v = m.path(n[0]);
            if (!v.isNull() && !v.isMissingNode()) {
                parts.add(n[1] + (n[0].equals("maxMemory") && v.isNumber() ? Table.bytes(v.asLong()) : v.asText()));
            }
        }
        if (m.path("autoRollback").asBoolean(false)) {
            parts.add("auto-rollback on");
        }
        return String.join(", ", parts);
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
