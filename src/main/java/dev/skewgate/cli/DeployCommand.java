package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code skewgate deploy DIR --site S}: sends the manifest, uploads only the blobs the gateway lacks, finalizes,
 * and optionally activates. Deploying an unchanged build uploads nothing.
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = "Upload a build folder as a new immutable deployment.")
public final class DeployCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Parameters(index = "0", description = "The build output folder, e.g. ./dist") Path dir;
    @Option(names = "--site", required = true, description = "Site to deploy to.") String site;
    @Option(names = "--activate", description = "Activate it once uploaded.") boolean activate;
    @Option(names = {"--message", "-m"}, description = "What this deployment is (shown in status).") String message;
    @Option(names = "--git-sha", defaultValue = "${env:GITHUB_SHA}", description = "Commit it was built from.") String gitSha;
    @Option(names = "--parallel", defaultValue = "4", description = "Concurrent uploads. Default: ${DEFAULT-VALUE}") int parallel;
    @Option(names = "--backend", description = "Upstream URL of the API this build talks to, e.g. http://127.0.0.1:9001 "
            + "(repeatable; default: the site's default backend).") List<String> backends;
    @Option(names = "--quiet-lint", description = "Do not warn about absolute URLs to other hosts in the build.")
    boolean quietLint;
    @Option(names = "--health", defaultValue = "/", description = "Health path of the backend, answering 2xx when ready, "
            + "e.g. /api/health. Default: ${DEFAULT-VALUE}") String health;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        AdminClient admin = client.client();
        List<BuildScanner.Found> files = BuildScanner.scan(dir);
        Map<String, Object> body = new LinkedHashMap<>();
        List<Map<String, Object>> manifest = new ArrayList<>();
        Map<String, BuildScanner.Found> bySha = new HashMap<>();
        long total = 0;
        for (BuildScanner.Found f : files) {
            manifest.add(Map.of("path", f.path(), "sha256", f.sha256(), "size", f.size()));
            bySha.putIfAbsent(f.sha256(), f);
            total += f.size();
        }
        body.put("files", manifest);
        if (backends != null && !backends.isEmpty()) {
            body.put("backend", Map.of("upstreams", backends, "healthPath", health));
        }
        body.put("message", message == null ? "" : message);
        if (gitSha != null && !gitSha.isBlank()) {
            body.put("gitSha", gitSha);
        }
        JsonNode siteJson = admin.get("/v1/sites/" + site);
        if (backends == null || backends.isEmpty()) {
            warnIfTheApiWouldLoseItsBackend(admin, siteJson);
        }
        if (!quietLint) {
            List<String> hosts = SiteCommand.texts(siteJson.path("hosts"));
            String warning = BuildLint.warning(BuildLint.findings(files, hosts), site);
            if (!warning.isEmpty()) {
                var err = spec.commandLine().getErr();
                err.println(warning);
                err.flush();
            }
        }
        JsonNode created = admin.post("/v1/sites/" + site + "/deployments", body);
        String id = created.path("deployment").path("id").asText();
        List<String> missing = SiteCommand.texts(created.path("missing"));
        out.println("deployment " + id + ": " + Table.count(files.size(), "file") + " (" + Table.bytes(total) + "), "
                + missing.size() + " to upload (" + Table.bytes(created.path("missingBytes").asLong()) + ")");
        out.flush();
        upload(admin, id, missing, bySha, created.path("missingBytes").asLong(), out);
        admin.post("/v1/deployments/" + id + "/finalize", Map.of());
        out.println("finalized " + id);
        if (activate) {
            out.println("activating " + id + " (readiness and synthetic checks first)...");
            out.flush();
            Activation.run(admin, site, id, out);
            out.println("activated " + id + " on " + site);
        }
        out.println("preview: " + previewUrl(admin, id));
        out.println(id);
        out.flush();
        return 0;
    }

    private void upload(AdminClient admin, String id, List<String> missing, Map<String, BuildScanner.Found> bySha,
                        long bytes, java.io.PrintWriter out) throws InterruptedException {
        if (missing.isEmpty()) {
            return;
        }
        Progress progress = new Progress(Terminal.raw(out), System.console() != null, missing.size(), bytes);
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(parallel, 16)));
        try {
            List<Future<?>> pending = new ArrayList<>();
            for (String sha : missing) {
                BuildScanner.Found f = bySha.get(sha);
                pending.add(pool.submit(() -> {
                    admin.putFile("/v1/deployments/" + id + "/blobs/" + sha, f.file());
                    progress.advance(f.size());
                }));
            }
            for (Future<?> p : pending) {
                try {
                    p.get();
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException r ? r : new CliException(e.getCause().toString());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * A build deployed without {@code --backend} on a site without a default backend has none: once live, its API
     * paths answer 502. When the live deployment has one, that is almost surely a forgotten flag (a build tool's
     * deploy step, say): say so before anything is uploaded.
     */
    private void warnIfTheApiWouldLoseItsBackend(AdminClient admin, JsonNode siteJson) {
        JsonNode fallback = siteJson.path("defaultBackend");
        String active = siteJson.path("activeDeployment").asText("");
        if ((!fallback.isNull() && !fallback.isMissingNode()) || active.isEmpty() || active.equals("null")) {
            return;
        }
        JsonNode live = admin.get("/v1/deployments/" + active).path("backend");
        if (live.isNull() || live.isMissingNode()) {
            return;
        }
        var err = spec.commandLine().getErr();
        err.println("warning: this deployment has no backend, but the live one (" + active + ") uses "
                + String.join(", ", SiteCommand.texts(live.path("upstreams"))) + ": once it is live, "
                + String.join(", ", SiteCommand.texts(siteJson.path("apiPrefixes"))) + " will answer 502. Pass --backend URL "
                + "--health PATH, or give the site a default backend (skewgate site update " + site
                + " --default-backend URL --default-health PATH).");
        err.flush();
    }

    private String previewUrl(AdminClient admin, String id) {
        JsonNode site = admin.get("/v1/sites/" + this.site);
        String host = "localhost";
        for (JsonNode h : site.path("hosts")) {
            if (!h.asText().startsWith("*.")) {
                host = h.asText();
                break;
            }
        }
        int port = admin.get("/v1/health").path("edgePort").asInt(8080);
        return "http://" + host + (port == 80 ? "" : ":" + port) + "/?_skewgate=" + id;
    }
}
