package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
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
 * {@code skewgate deploy DIR --site S [--backend-dir SERVER --run CMD ...]}: sends the manifest (and the backend
 * folder's, for a backend the gateway runs), uploads only the blobs the gateway lacks, finalizes, and optionally
 * activates. Deploying an unchanged build uploads nothing.
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
    @Option(names = "--health", description = "Health path of the backend, answering 2xx when ready, e.g. /api/health. "
            + "Default: the site's backend default, else /") String health;
    @Option(names = "--backend-dir", paramLabel = "DIR", description = "A backend folder (e.g. ./server, node_modules "
            + "included) that the gateway runs for this deployment only; excludes --backend.") Path backendDir;
    @Option(names = "--run", paramLabel = "CMD", description = "How to start the backend, run by /bin/sh in its folder "
            + "with PORT set, e.g. \"node index.js\". Default: the site's backend default.") String run;
    @Option(names = "--instances", paramLabel = "N", description = "Backend processes, 1 to " + MAX_INSTANCES
            + ". Default: the site's backend default, else 1") Integer instances;
    @Option(names = "--env-file", paramLabel = "PATH", description = "A dotenv file of variables for this deployment's "
            + "backend only, over the site's env (at most 64 KiB).") Path envFile;
    @Option(names = "--release", paramLabel = "CMD", description = "Run once in the new backend's folder before its "
            + "instances start, e.g. \"npm run migrate\"; a failure refuses the activation.") String release;
    @Option(names = "--max-memory", paramLabel = "SIZE", description = "Restart an instance gracefully when its RSS "
            + "is over this, e.g. 512M.") String maxMemory;
    @Option(names = "--kill-timeout", paramLabel = "DURATION", description = "How long an instance may finish its "
            + "requests after SIGTERM before SIGKILL. Default: the site's backend default, else 10s") String killTimeout;
    @Option(names = "--idle-stop", paramLabel = "DURATION", description = "Stop a previous deployment's backend after "
            + "this long without requests or open tabs, e.g. 10m; its next pinned request starts it again.")
    String idleStop;
    @Option(names = "--auto-rollback", negatable = true, description = "Roll the site back when this active "
            + "deployment's backend crash-loops. Default: the site's backend default, else off") Boolean autoRollback;

    @Option(names = "--rehash", description = "Read and hash every file, not trusting the hash cache of earlier "
            + "deploys (it is rewritten).") boolean rehash;

    /** The most instances one deployment may run; the gateway holds the same bound. */
    static final int MAX_INSTANCES = 16;

    /**
     * What a deploy sends: the body of the POST, and every blob it may have to upload, by sha256; and the hash cache
     * of the scanned folders ({@code roots}), saved once the lint has added to it.
     */
    record Plan(Map<String, Object> body, Map<String, BuildScanner.Found> bySha, List<BuildScanner.Found> files,
                java.util.Optional<BuildScanner.Backend> backend, HashCache cache, List<Path> roots) {
        long frontendBytes() {
            return files.stream().mapToLong(BuildScanner.Found::size).sum();
        }
    }

    /**
     * Checks the options and reads both folders into the POST body, before anything is sent: a mistake in the
     * flags or a refused file in the backend folder costs no request.
     */
    Plan plan() throws java.io.IOException {
        boolean external = backends != null && !backends.isEmpty();
        if (external && backendDir != null) {
            throw new CliException("--backend URL (a backend you run) and --backend-dir DIR (one Skewgate runs) "
                    + "exclude each other: give one of them");
        }
        if (backendDir == null) {
            List<String> managedOnly = new ArrayList<>();
            addIf(managedOnly, run != null, "--run");
            addIf(managedOnly, instances != null, "--instances");
            addIf(managedOnly, envFile != null, "--env-file");
            addIf(managedOnly, release != null, "--release");
            addIf(managedOnly, maxMemory != null, "--max-memory");
            addIf(managedOnly, killTimeout != null, "--kill-timeout");
            addIf(managedOnly, idleStop != null, "--idle-stop");
            addIf(managedOnly, autoRollback != null, "--auto-rollback");
            if (!managedOnly.isEmpty()) {
                throw new CliException(String.join(", ", managedOnly) + (managedOnly.size() == 1 ? " is a setting"
                        : " are settings") + " of a backend that Skewgate runs: give its folder with --backend-dir DIR");
            }
        }
        if (instances != null && (instances < 1 || instances > MAX_INSTANCES)) {
            throw new CliException("--instances must be between 1 and " + MAX_INSTANCES + ", not " + instances);
        }
        Map<String, String> env = envFile == null ? Map.of() : readEnvFile(envFile);
        HashCache cache = HashCache.load(HashCache.defaultFile(), !rehash);
        List<BuildScanner.Found> files = BuildScanner.scan(dir, cache);
        Map<String, Object> body = new LinkedHashMap<>();
        List<Map<String, Object>> manifest = new ArrayList<>();
        Map<String, BuildScanner.Found> bySha = new HashMap<>();
        for (BuildScanner.Found f : files) {
            manifest.add(Map.of("path", f.path(), "sha256", f.sha256(), "size", f.size()));
            bySha.putIfAbsent(f.sha256(), f);
        }
        body.put("files", manifest);
        java.util.Optional<BuildScanner.Backend> managed = java.util.Optional.empty();
        if (external) {
            body.put("backend", Map.of("upstreams", backends, "healthPath", health == null ? "/" : health));
        } else if (backendDir != null) {
            BuildScanner.Backend scanned = BuildScanner.scanBackend(backendDir, cache);
            managed = java.util.Optional.of(scanned);
            Map<String, Object> backend = new LinkedHashMap<>();
            putIf(backend, "run", run);
            putIf(backend, "instances", instances);
            putIf(backend, "healthPath", health);
            putIf(backend, "release", release);
            putIf(backend, "maxMemory", maxMemory);
            putIf(backend, "killTimeout", killTimeout);
            putIf(backend, "idleStop", idleStop);
            putIf(backend, "autoRollback", autoRollback);
            if (!env.isEmpty()) {
                backend.put("env", env);
            }
            List<Map<String, Object>> entries = new ArrayList<>();
            for (BuildScanner.BackendFile f : scanned.files()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("path", f.found().path());
                entry.put("sha256", f.found().sha256());
                entry.put("size", f.found().size());
                entry.put("mode", f.mode());
                entries.add(entry);
                // A blob both folders hold (a shared LICENSE, say) is uploaded once: the gateway names blobs by sha256.
                bySha.putIfAbsent(f.found().sha256(), f.found());
            }
            for (BuildScanner.Link l : scanned.links()) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("path", l.path());
                entry.put("link", l.target());
                entries.add(entry);
            }
            backend.put("files", entries);
            body.put("backend", backend);
        }
        body.put("message", message == null ? "" : message);
        if (gitSha != null && !gitSha.isBlank()) {
            body.put("gitSha", gitSha);
        }
        List<Path> roots = backendDir == null ? List.of(dir) : List.of(dir, backendDir.toRealPath());
        return new Plan(body, bySha, files, managed, cache, roots);
    }

    private static Map<String, String> readEnvFile(Path file) {
        try {
            // Checked before reading: a mistaken --env-file pointing at a big file is refused without loading it.
            long size = Files.size(file);
            if (size > DotEnv.MAX_BYTES) {
                throw new CliException(file + " is " + size + " bytes; an env file may be at most " + DotEnv.MAX_BYTES
                        + " bytes (64 KiB)");
            }
            return DotEnv.parse(Files.readAllBytes(file), file.toString());
        } catch (java.io.IOException e) {
            throw new CliException("cannot read the env file " + file + ": " + e.getMessage());
        }
    }

    private static void addIf(List<String> out, boolean given, String flag) {
        if (given) {
            out.add(flag);
        }
    }

    private static void putIf(Map<String, Object> out, String key, Object value) {
        if (value != null) {
            out.put(key, value);
        }
    }

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        Plan plan = plan();
        List<BuildScanner.Found> files = plan.files();
        Map<String, BuildScanner.Found> bySha = plan.bySha();
        long total = plan.frontendBytes();
        AdminClient admin = client.client();
        Map<String, Object> body = plan.body();
        JsonNode siteJson = admin.get("/v1/sites/" + site);
        if (!body.containsKey("backend")) {
            warnIfTheApiWouldLoseItsBackend(admin, siteJson);
        }
        if (!quietLint) {
            List<String> hosts = SiteCommand.texts(siteJson.path("hosts"));
            String warning = BuildLint.warning(BuildLint.findings(files, hosts, plan.cache()), site);
            if (!warning.isEmpty()) {
                var err = spec.commandLine().getErr();
                err.println(warning);
                err.flush();
            }
        }
        plan.cache().save(plan.roots());
        JsonNode created = admin.post("/v1/sites/" + site + "/deployments", body);
        String id = created.path("deployment").path("id").asText();
        List<String> missing = SiteCommand.texts(created.path("missing"));
        String backendPart = plan.backend().map(b -> " + backend " + Table.count(b.files().size(), "file")
                + (b.links().isEmpty() ? "" : ", " + Table.count(b.links().size(), "link")) + " (" + Table.bytes(b.bytes())
                + ")").orElse("");
        out.println("deployment " + id + ": " + Table.count(files.size(), "file") + " (" + Table.bytes(total) + ")"
                + backendPart + ", " + missing.size() + " to upload (" + Table.bytes(created.path("missingBytes").asLong()) + ")");
        out.flush();
        upload(admin, id, missing, bySha, created.path("missingBytes").asLong(), out);
        admin.post("/v1/deployments/" + id + "/finalize", Map.of());
        out.println("finalized " + id);
        if (activate) {
            out.println("activating " + id + " (readiness and synthetic checks first)...");
            out.flush();
            JsonNode answer = Activation.run(admin, site, id, out);
            out.println("activated " + id + " on " + site);
            Activation.nodes(answer, out);
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
        boolean managed = live.path("managed").asBoolean(false);
        String uses = managed ? "a backend Skewgate runs (" + live.path("run").asText() + ")"
                : String.join(", ", SiteCommand.texts(live.path("upstreams")));
        err.println("warning: this deployment has no backend, but the live one (" + active + ") uses " + uses
                + ": once it is live, " + String.join(", ", SiteCommand.texts(siteJson.path("apiPrefixes")))
                + " will answer 502. " + (managed ? "Pass --backend-dir DIR (and --run CMD unless the site has a "
                + "default), or " : "Pass --backend URL --health PATH, or ") + "give the site a default backend "
                + "(skewgate site update " + site + " --default-backend URL --default-health PATH).");
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
        JsonNode health = admin.get("/v1/health");
        int https = health.path("httpsPort").asInt(-1);
        if (https > 0) {
            return "https://" + host + (https == 443 ? "" : ":" + https) + "/?_skewgate=" + id;
        }
        int port = health.path("edgePort").asInt(8080);
        return "http://" + host + (port == 80 ? "" : ":" + port) + "/?_skewgate=" + id;
    }
}
