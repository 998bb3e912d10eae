package dev.skewgate.routing;

import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Sha256;
import dev.skewgate.model.Site;
import dev.skewgate.policy.CachePolicy;
import dev.skewgate.policy.RetainedLookup;
import dev.skewgate.policy.ContentTypes;
import dev.skewgate.policy.Globs;
import dev.skewgate.policy.HtmlInjector;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.Store;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a complete {@link RoutingTable} from the store: every servable deployment of every site, with headers
 * precomputed and small files loaded into memory within a budget. Runs on the control plane's thread only;
 * blobs already in memory from the previous build are reused rather than read again.
 */
public final class RoutingCompiler {

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    /** HTML bigger than this is served without injected tags (from disk) rather than read whole into memory. */
    private static final long MAX_INJECTED_HTML = 8L << 20;

    private final Store store;
    private final BlobStore blobs;
    private final long maxFileInMemory;
    private final long memoryBudget;
    private final String sdkPath;
    private Map<String, Buffer> loaded = Map.of();
    private long generation;

    /**
     * @param sdkPath the browser SDK's versioned path ({@code /_skewgate/client.js?v=...}) for the injected script tag
     */
    public RoutingCompiler(Store store, BlobStore blobs, long maxFileInMemory, long memoryBudget, String sdkPath) {
        this.store = store;
        this.blobs = blobs;
        this.maxFileInMemory = maxFileInMemory;
        this.memoryBudget = memoryBudget;
        this.sdkPath = sdkPath;
    }

    /** A new table reflecting the store right now. */
    public RoutingTable compile() {
        Budget budget = new Budget(memoryBudget, loaded);
        Map<String, SiteRoute> exact = new HashMap<>();
        Map<String, SiteRoute> wildcard = new HashMap<>();
        for (Site site : store.sites()) {
            SiteRoute route = compileSite(site, budget);
            for (String host : site.hosts()) {
                if (host.startsWith("*.")) {
                    wildcard.put(host.substring(1), route);
                } else {
                    exact.put(host, route);
                }
            }
        }
        loaded = budget.next;
        generation++;
        return new RoutingTable(Map.copyOf(exact), Map.copyOf(wildcard), generation);
    }

    private SiteRoute compileSite(Site site, Budget budget) {
        List<Deployment> all = store.deployments(site.name());
        List<Pattern> globs = site.headerRules().stream().map(r -> Globs.compile(r.glob())).toList();
        // Active first so it gets the memory budget before older versions do.
        List<Deployment> servable = new ArrayList<>(all.stream().filter(d -> d.state().servable()).toList());
        servable.sort(Comparator.comparing((Deployment d) -> d.state() != DeploymentState.ACTIVE)
                .thenComparing(d -> d.activatedAt().orElse(Instant.EPOCH), Comparator.reverseOrder()));
        Map<String, DeploymentRoute> byId = new HashMap<>();
        Optional<DeploymentRoute> active = Optional.empty();
        Optional<Instant> activatedAt = Optional.empty();
        Map<String, RetainedFile> fallback = new HashMap<>();
        for (Deployment d : servable) {
            DeploymentRoute route = compileDeployment(site, d, globs, budget);
            byId.put(d.id(), route);
            if (d.state() == DeploymentState.ACTIVE) {
                active = Optional.of(route);
                activatedAt = d.activatedAt();
            }
            if (d.state() != DeploymentState.STAGED) {
                // Newest activation first: the first deployment to claim a path keeps it.
                for (Map.Entry<String, ServedFile> f : route.files().entrySet()) {
                    if (RetainedLookup.mayServeFromRetained(f.getKey().substring(1), f.getValue().contentType())) {
                        fallback.putIfAbsent(f.getKey(), new RetainedFile(d.id(), f.getValue()));
                    }
                }
            }
        }
        Set<String> retired = new HashSet<>();
        for (Deployment d : all) {
            if (d.state() == DeploymentState.RETIRED || d.state() == DeploymentState.PURGED) {
                retired.add(d.id());
            }
        }
        long lastEventSeq = store.events(site.name(), 1).stream().mapToLong(e -> e.seq()).findFirst().orElse(0);
        return new SiteRoute(site.name(), active, activatedAt, Map.copyOf(byId), Map.copyOf(fallback),
                Set.copyOf(retired), site.apiPrefixes(), site.spa(), site.config().revision(),
                documents(site, active.map(DeploymentRoute::id), activatedAt), site.client().configAlias(),
                site.webhookSecrets(), lastEventSeq);
    }

    private static GatewayDocuments documents(Site site, Optional<String> active, Optional<Instant> activatedAt) {
        io.vertx.core.json.JsonObject version = new io.vertx.core.json.JsonObject()
                .put("site", site.name())
                .put("deployment", active.orElse(null))
                .put("activatedAt", activatedAt.map(Instant::toString).orElse(null))
                .put("configRevision", site.config().revision());
        byte[] versionBytes = version.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] configBytes = site.config().json().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return new GatewayDocuments(Buffer.buffer(versionBytes), etag(Sha256.hex(versionBytes)),
                Buffer.buffer(configBytes), etag(Sha256.hex(configBytes)));
    }

    /** The tags put into every HTML entry point of a deployment of this site. */
    private List<String> tags(Site site, String deploymentId) {
        List<String> tags = new ArrayList<>();
        tags.add(HtmlInjector.meta("skewgate-deployment", deploymentId));
        tags.add(HtmlInjector.meta("skewgate-config", site.config().json()));
        if (site.client().injectSdk()) {
            io.vertx.core.json.JsonObject options = new io.vertx.core.json.JsonObject()
                    .put("strategy", site.client().strategy())
                    .put("pollInterval", site.client().pollInterval().toMillis())
                    .put("configRevision", site.config().revision())
                    .put("apiOrigins", new io.vertx.core.json.JsonArray(site.client().apiOrigins()));
            tags.add(HtmlInjector.meta("skewgate-options", options.encode()));
            tags.add("<script src=\"" + sdkPath + "\"></script>");
        }
        return tags;
    }

    private DeploymentRoute compileDeployment(Site site, Deployment d, List<Pattern> globs, Budget budget) {
        List<ManifestEntry> entries = store.files(d.id());
        String lastModified = HTTP_DATE.format(d.finalizedAt().orElse(d.createdAt()));
        List<String> tags = tags(site, d.id());
        Map<String, ManifestEntry> byPath = new HashMap<>();
        for (ManifestEntry e : entries) {
            byPath.put(e.path(), e);
        }
        Map<String, ServedFile> files = new LinkedHashMap<>();
        for (ManifestEntry e : entries) {
            ServedFile plain = file(site, e, e.contentType(), Optional.empty(), lastModified, tags, globs, budget);
            Optional<ServedFile> br = variant(site, byPath.get(e.path() + ".br"), e, "br", lastModified, globs, budget);
            Optional<ServedFile> gz = variant(site, byPath.get(e.path() + ".gz"), e, "gzip", lastModified, globs, budget);
            if (!plain.html() && (br.isPresent() || gz.isPresent())) {
                plain = new ServedFile(plain.path(), plain.length(), plain.contentType(), plain.etag(),
                        plain.lastModified(), plain.cacheControl(), plain.headers(), plain.bytes(), plain.blob(),
                        Optional.empty(), br, gz, false);
            }
            files.put("/" + e.path(), plain);
        }
        String entry = "/" + site.entryPoint();
        return new DeploymentRoute(d.id(), Map.copyOf(files), Optional.ofNullable(files.get(entry)),
                Optional.ofNullable(files.get("/404.html")),
                Pin.COOKIE + "=" + d.id() + "; Path=/; HttpOnly; SameSite=Lax",
                d.backend().or(site::defaultBackend).map(BackendRoute::of), d.state() == DeploymentState.STAGED);
    }

    private Optional<ServedFile> variant(Site site, ManifestEntry compressed, ManifestEntry base, String encoding,
                                         String lastModified, List<Pattern> globs, Budget budget) {
        if (compressed == null) {
            return Optional.empty();
        }
        return Optional.of(file(site, compressed, base.contentType(), Optional.of(encoding), lastModified,
                List.of(), globs, budget).withPathOf(base));
    }

    private ServedFile file(Site site, ManifestEntry e, String contentType, Optional<String> encoding,
                            String lastModified, List<String> tags, List<Pattern> globs, Budget budget) {
        String ruleCacheControl = null;
        Map<String, String> extra = new LinkedHashMap<>();
        for (int i = 0; i < globs.size(); i++) {
            if (globs.get(i).matcher(e.path()).matches()) {
                HeaderRule rule = site.headerRules().get(i);
                for (Map.Entry<String, String> h : rule.headers().entrySet()) {
                    if (h.getKey().equalsIgnoreCase("cache-control")) {
                        ruleCacheControl = h.getValue();
                    } else {
                        extra.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue());
                    }
                }
            }
        }
        String cacheControl = ruleCacheControl != null ? ruleCacheControl
                : CachePolicy.cacheControl(CachePolicy.kind(e.path(), contentType));
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        extra.forEach((k, v) -> headers.add(new AbstractMap.SimpleImmutableEntry<>(k, v)));
        boolean html = encoding.isEmpty() && ContentTypes.isHtml(contentType) && e.size() <= MAX_INJECTED_HTML
                && !tags.isEmpty();
        if (html) {
            byte[] injected = HtmlInjector.inject(read(e.sha256()), tags);
            return new ServedFile(e.path(), injected.length, contentType, etag(Sha256.hex(injected)), lastModified,
                    cacheControl, List.copyOf(headers), Optional.of(Buffer.buffer(injected)), blobs.path(e.sha256()),
                    encoding, Optional.empty(), Optional.empty(), true);
        }
        return new ServedFile(e.path(), e.size(), contentType, etag(e.sha256()), lastModified, cacheControl,
                List.copyOf(headers), budget.bytes(e, this), blobs.path(e.sha256()), encoding,
                Optional.empty(), Optional.empty(), false);
    }

    byte[] read(String sha256) {
        try {
            return Files.readAllBytes(blobs.path(sha256));
        } catch (IOException ex) {
            throw new UncheckedIOException("blob " + sha256 + " is missing from the blob folder", ex);
        }
    }

    private static String etag(String hexSha256) {
        return "\"" + hexSha256.substring(0, 32) + "\"";
    }


    /** The memory given to small files in one build, shared by deployments that contain the same blob. */
    private final class Budget {
        private long left;
        private final Map<String, Buffer> previous;
        private final Map<String, Buffer> next = new HashMap<>();

        Budget(long total, Map<String, Buffer> previous) {
            this.left = total;
            this.previous = previous;
        }

        Optional<Buffer> bytes(ManifestEntry e, RoutingCompiler compiler) {
            Buffer have = next.get(e.sha256());
            if (have != null) {
                return Optional.of(have);
            }
            if (e.size() > maxFileInMemory || e.size() > left) {
                return Optional.empty();
            }
            Buffer buffer = previous.get(e.sha256());
            if (buffer == null) {
                buffer = Buffer.buffer(compiler.read(e.sha256()));
            }
            left -= e.size();
            next.put(e.sha256(), buffer);
            return Optional.of(buffer);
        }
    }
}
