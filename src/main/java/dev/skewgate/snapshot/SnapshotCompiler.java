package dev.skewgate.snapshot;

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
import dev.skewgate.routing.BackendRoute;
import dev.skewgate.routing.InstancePool;
import dev.skewgate.routing.DeploymentRoute;
import dev.skewgate.routing.GatewayDocuments;
import dev.skewgate.routing.Pin;
import dev.skewgate.routing.RetainedFile;
import dev.skewgate.routing.RoutingTable;
import dev.skewgate.routing.ServedFile;
import dev.skewgate.routing.SiteRoute;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.Backend;
import dev.skewgate.compress.Coding;
import dev.skewgate.compress.Compressor;
import dev.skewgate.routing.ComputedVariants;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.VariantFiles;
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
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Builds routing snapshots from the store: a site's route with every servable deployment, headers precomputed and
 * small files loaded into memory within a budget. A change rebuilds only its own site, and inside the site only the
 * deployments whose inputs changed: an activation reuses every deployment's compiled files as they are.
 *
 * <p>{@link #compile} reads the store as the caller's transaction sees it and keeps nothing; {@link #adopt} keeps a
 * build once its transaction committed, so a refused change leaves no trace here either. Calls for one site are
 * serialized by the caller (the control plane's change core); different sites may compile at the same time.
 */
public final class SnapshotCompiler {

    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    /** HTML bigger than this is served without injected tags (from disk) rather than read whole into memory. */
    static final long MAX_INJECTED_HTML = 8L << 20;

    private final Pools pools;
    private final Store store;
    private final BlobStore blobs;
    private final long maxFileInMemory;
    private final long memoryBudget;
    private final String sdkPath;
    private final Optional<Compressor> compressor;
    /** What a file's name and type decide: its default Cache-Control, and whether a retained deployment may lend it. */
    private record ByName(String cacheControl, boolean mayLend) {
    }

    /**
     * {@link ByName} by path and content type. The rules are regular expressions, and the same names come back in
     * every deployment of a site (hashed chunks that did not change): at a start with 1,000 deployments they were the
     * largest single cost of compiling (bench/startup.sh, JFR). Cleared when it grows past {@link #BY_NAME_MAX}.
     */
    private final Map<String, ByName> byName = new ConcurrentHashMap<>();
    private static final int BY_NAME_MAX = 200_000;

    private ByName byName(String path, String contentType) {
        String key = contentType + ' ' + path;
        ByName known = byName.get(key);
        if (known == null) {
            if (byName.size() >= BY_NAME_MAX) {
                byName.clear();
            }
            known = new ByName(CachePolicy.cacheControl(CachePolicy.kind(path, contentType)),
                    RetainedLookup.mayServeFromRetained(path, contentType));
            byName.put(key, known);
        }
        return known;
    }

    /** What the latest adopted build of each site compiled, for the next build of that site to reuse. */
    private final Map<String, SiteCache> caches = new ConcurrentHashMap<>();
    /** Deployment routes compiled ahead of the change that adds them ({@link #prepare}), by site. */
    private final Map<String, Map<RouteKey, Prepared>> prepared = new ConcurrentHashMap<>();

    /** A route compiled ahead of its change; starved when the memory budget refused some of its small files. */
    private record Prepared(DeploymentRoute route, boolean starved) {
    }

    /**
     * @param sdkPath the browser SDK's versioned path ({@code /_skewgate/client.js?v=...}) for the injected script tag
     */
    public SnapshotCompiler(Store store, BlobStore blobs, long maxFileInMemory, long memoryBudget, String sdkPath) {
        this(store, blobs, maxFileInMemory, memoryBudget, sdkPath, Pools.NONE, Optional.empty());
    }

    /**
     * @param pools the instance pool of each deployment whose backend the gateway runs
     * @param compressor computes the gzip and brotli variants of compressible files that have none yet (empty: only
     *     the build's own .br/.gz siblings are served)
     */
    public SnapshotCompiler(Store store, BlobStore blobs, long maxFileInMemory, long memoryBudget, String sdkPath,
                            Pools pools, Optional<Compressor> compressor) {
        this.pools = pools;
        this.compressor = compressor;
        this.store = store;
        this.blobs = blobs;
        this.maxFileInMemory = maxFileInMemory;
        this.memoryBudget = memoryBudget;
        this.sdkPath = sdkPath;
    }

    /** Where a managed deployment's {@link InstancePool} comes from: the same object every time for one deployment. */
    public interface Pools {
        /** No managed backends: their routes have a pool that never has an instance. */
        Pools NONE = deployment -> new InstancePool() {
            @Override
            public java.util.List<BackendRoute.Upstream> ready() {
                return java.util.List.of();
            }

            @Override
            public java.util.concurrent.CompletionStage<Void> awaitReady() {
                return java.util.concurrent.CompletableFuture.failedFuture(
                        new IllegalStateException("this gateway runs no backend processes"));
            }

            @Override
            public void begin(BackendRoute.Upstream upstream) {
            }

            @Override
            public void end(BackendRoute.Upstream upstream) {
            }
        };

        InstancePool pool(String deployment);
    }

    /**
     * The first snapshot: every site the store holds with only its active deployment compiled, adopted at once. The
     * site's other servable deployments are listed as {@link SiteRoute#pending}: what the edge needs to answer an
     * unpinned request is ready after a fraction of the work, and {@link #compile} of each site adds the rest.
     */
    public RoutingTable compileActive() {
        Map<String, SiteRoute> routes = new HashMap<>();
        for (Site site : store.sites()) {
            SiteBuild build = compile(site, Mode.ACTIVE_ONLY);
            adopt(build);
            build.route().ifPresent(r -> routes.put(r.name(), r));
        }
        return RoutingTable.of(routes, 1);
    }

    /** What one build of a site compiles. */
    private enum Mode {
        /** Every servable deployment, reusing what the previous build compiled. */
        ALL,
        /** The same, moving files between memory and disk as the budget now says ({@link #rebalance}). */
        REBALANCE,
        /** The active deployment only; the others are pending ({@link #compileActive}). */
        ACTIVE_ONLY
    }

    /**
     * The route of one site as the store holds it now (empty when the site does not exist or was deleted). Throws
     * when it cannot be built (a blob missing from the blob folder); nothing is kept until {@link #adopt}.
     */
    public SiteBuild compile(String siteName) {
        return compile(siteName, Mode.ALL);
    }

    /**
     * The same, giving the memory budget to the active deployment first and moving only the files whose place
     * (memory or disk) changes, reusing the bytes already in memory: for a site whose build said
     * {@link SiteBuild#rebalance} (run after the switch, off its path).
     */
    public SiteBuild rebalance(String siteName) {
        return compile(siteName, Mode.REBALANCE);
    }

    private SiteBuild compile(String siteName, Mode mode) {
        Optional<Site> found = store.site(siteName);
        if (found.isEmpty()) {
            return new SiteBuild(siteName, Optional.empty(), SiteCache.EMPTY, false);
        }
        return compile(found.get(), mode);
    }

    private SiteBuild compile(Site site, Mode mode) {
        String siteName = site.name();
        SiteCache previous = caches.getOrDefault(siteName, SiteCache.EMPTY);
        Budget budget = new Budget(Math.max(0, memoryBudget - bytesInMemoryBesides(siteName)), previous.loaded());
        Map<RouteKey, DeploymentRoute> compiled = new HashMap<>();
        Map<RouteKey, Map<String, RetainedFile>> retainable = new HashMap<>();
        Set<RouteKey> starved = new HashSet<>();
        boolean[] wantsRebalance = {false};
        SiteRoute route = compileSite(site, previous, compiled, retainable, starved, budget, mode, wantsRebalance);
        Optional<RouteKey> activeKey = route.active().map(a -> new RouteKey(a.id(), SiteInputs.of(site)));
        // Every route reused as it was (an activation, a rollback): the bytes in memory are the previous build's.
        boolean unchanged = compiled.keySet().equals(previous.routes().keySet())
                && compiled.entrySet().stream().allMatch(e -> previous.routes().get(e.getKey()).files() == e.getValue().files());
        return new SiteBuild(siteName, Optional.of(route), new SiteCache(Map.copyOf(compiled), Map.copyOf(retainable),
                Set.copyOf(starved), activeKey, unchanged ? previous.loaded() : Map.copyOf(budget.next),
                unchanged ? previous.bytesInMemory() : budget.used()), wantsRebalance[0]);
    }

    /**
     * Compiles a deployment that a coming change of the site will add (finalize, promote), before that change takes
     * the commit step: reading a 2,000-file build's blobs then delays no other site's change. The change's own build
     * finds it ready if nothing it depends on changed meanwhile; called in the site's order, like the change.
     *
     * @param d the deployment as it will be once the change committed (staged, with its finalize time)
     */
    public void prepare(String siteName, Deployment d, List<ManifestEntry> files) {
        Optional<Site> found = store.site(siteName);
        if (found.isEmpty()) {
            return;
        }
        Site site = found.get();
        RouteKey key = new RouteKey(d.id(), SiteInputs.of(site));
        SiteCache cache = caches.getOrDefault(siteName, SiteCache.EMPTY);
        if (cache.routes().containsKey(key)) {
            return;
        }
        Budget budget = new Budget(Math.max(0, memoryBudget - bytesInMemoryBesides(siteName)
                - cache.bytesInMemory()), cache.loaded());
        List<Pattern> globs = site.headerRules().stream().map(r -> Globs.compile(r.glob())).toList();
        int refused = budget.refused;
        DeploymentRoute route = compileDeployment(site, d, files, globs, budget);
        prepared.computeIfAbsent(siteName, k -> new ConcurrentHashMap<>())
                .put(key, new Prepared(route, budget.refused > refused));
    }

    private long bytesInMemoryBesides(String siteName) {
        long bytes = 0;
        for (Map.Entry<String, SiteCache> c : caches.entrySet()) {
            if (!c.getKey().equals(siteName)) {
                bytes += c.getValue().bytesInMemory();
            }
        }
        return bytes;
    }

    /**
     * The blobs that the adopted builds and the builds prepared ahead serve (a bounded blob cache never evicts
     * them): the names of the blob files their routes read, computed variants counted under their blob.
     */
    public Set<String> blobsInUse() {
        Set<String> out = new HashSet<>();
        java.util.stream.Stream.concat(caches.values().stream().flatMap(c -> c.routes().values().stream()),
                        prepared.values().stream().flatMap(m -> m.values().stream()).map(Prepared::route))
                .flatMap(route -> route.files().values().stream())
                .flatMap(f -> java.util.stream.Stream.of(Optional.of(f), f.brotli(), f.gzip()).flatMap(Optional::stream))
                .forEach(f -> {
                    String name = f.blob().getFileName().toString();
                    out.add(name.indexOf('.') < 0 ? name : name.substring(0, name.indexOf('.')));
                });
        return out;
    }

    /** Drops what was prepared for a change of the site that was refused. */
    public void discard(String siteName) {
        prepared.remove(siteName);
    }

    /** Keeps a build whose change committed: the next build of its site starts from it. */
    public void adopt(SiteBuild build) {
        prepared.remove(build.site());
        if (build.route().isEmpty()) {
            caches.remove(build.site());
        } else {
            caches.put(build.site(), build.cache());
        }
    }

    private SiteRoute compileSite(Site site, SiteCache previous, Map<RouteKey, DeploymentRoute> compiled,
                                  Map<RouteKey, Map<String, RetainedFile>> retainable, Set<RouteKey> starved,
                                  Budget budget, Mode mode, boolean[] wantsRebalance) {
        boolean rebudget = mode == Mode.REBALANCE;
        List<Deployment> all = store.deployments(site.name());
        List<Pattern> globs = site.headerRules().stream().map(r -> Globs.compile(r.glob())).toList();
        SiteInputs inputs = SiteInputs.of(site);
        // Active first so it gets the memory budget before older versions do.
        List<Deployment> servable = new ArrayList<>(all.stream().filter(d -> d.state().servable()).toList());
        servable.sort(Comparator.comparing((Deployment d) -> d.state() != DeploymentState.ACTIVE)
                .thenComparing(d -> d.activatedAt().orElse(Instant.EPOCH), Comparator.reverseOrder()));
        Set<String> pending = new HashSet<>();
        if (mode == Mode.ACTIVE_ONLY) {
            servable.removeIf(d -> d.state() != DeploymentState.ACTIVE && pending.add(d.id()));
        }
        // A deployment that becomes active after it was compiled while the budget was full (its small files on disk)
        // should get the budget first, as on a fresh start. The switch itself reuses the routes as they are (it must
        // stay fast); the build says so, and a rebalance after the switch moves the files whose place changes.
        Optional<RouteKey> activeKey = servable.stream().filter(d -> d.state() == DeploymentState.ACTIVE).findFirst()
                .map(d -> new RouteKey(d.id(), inputs));
        Map<RouteKey, Prepared> ahead = prepared.getOrDefault(site.name(), Map.of());
        wantsRebalance[0] = !rebudget && activeKey.isPresent() && !previous.active().equals(activeKey)
                && (previous.starved().contains(activeKey.get())
                || ahead.containsKey(activeKey.get()) && ahead.get(activeKey.get()).starved());
        Map<RouteKey, DeploymentRoute> reusable = previous.routes();
        // Counting the bytes of reused routes is only needed when the set of routes changes; an activation or a
        // rollback reuses the previous build's bytes as they are (the check after the loop).
        boolean sameRoutes = !rebudget && servable.size() == reusable.size()
                && servable.stream().allMatch(d -> reusable.containsKey(new RouteKey(d.id(), inputs)));
        Map<String, DeploymentRoute> byId = new HashMap<>();
        Optional<DeploymentRoute> active = Optional.empty();
        Optional<Instant> activatedAt = Optional.empty();
        List<Map<String, RetainedFile>> lenders = new ArrayList<>();
        for (Deployment d : servable) {
            RouteKey key = new RouteKey(d.id(), inputs);
            boolean staged = d.state() == DeploymentState.STAGED;
            DeploymentRoute route = reusable.get(key);
            DeploymentRoute before = route;
            if (route != null && rebudget) {
                // Only the files whose place (memory or disk) changes are rebuilt; a route without one stays as is.
                int refused = budget.refused;
                route = budget.rebudget(route);
                if (budget.refused > refused) {
                    starved.add(key);
                }
            } else if (route != null && previous.starved().contains(key)) {
                starved.add(key);
            }
            if (route == null && !rebudget && ahead.containsKey(key)) {
                route = ahead.get(key).route();
                if (ahead.get(key).starved()) {
                    starved.add(key);
                }
            }
            if (route == null) {
                int refused = budget.refused;
                route = compileDeployment(site, d, store.files(d.id()), globs, budget);
                if (budget.refused > refused) {
                    starved.add(key);
                }
            } else {
                if (!sameRoutes && !rebudget) {
                    budget.keep(route);
                }
                if (route.staged() != staged) {
                    // Activation changes only whether the deployment is a preview; its files stay as compiled.
                    route = new DeploymentRoute(route.id(), route.files(), route.entryPoint(), route.notFoundPage(),
                            route.pinCookie(), route.backend(), staged);
                }
            }
            compiled.put(key, route);
            byId.put(d.id(), route);
            if (d.state() == DeploymentState.ACTIVE) {
                active = Optional.of(route);
                activatedAt = d.activatedAt();
            }
            Map<String, RetainedFile> mayLend = before != null && before.files() == route.files()
                    ? previous.retainable().get(key) : null;
            if (mayLend == null) {
                Map<String, RetainedFile> lend = new HashMap<>();
                for (Map.Entry<String, ServedFile> f : route.files().entrySet()) {
                    if (byName(f.getKey().substring(1), f.getValue().contentType()).mayLend()) {
                        lend.put(f.getKey(), new RetainedFile(d.id(), f.getValue()));
                    }
                }
                mayLend = Map.copyOf(lend);
            }
            retainable.put(key, mayLend);
            if (!staged) {
                // Newest activation first (the sort above): the first deployment that has a path lends it.
                lenders.add(mayLend);
            }
        }
        Set<String> retired = new HashSet<>();
        for (Deployment d : all) {
            if (d.state() == DeploymentState.RETIRED || d.state() == DeploymentState.PURGED) {
                retired.add(d.id());
            }
        }
        long lastEventSeq = store.events(site.name(), 1).stream().mapToLong(e -> e.seq()).findFirst().orElse(0);
        return new SiteRoute(site.name(), site.hosts(), active, activatedAt, Map.copyOf(byId), List.copyOf(lenders),
                Set.copyOf(retired), Set.copyOf(pending), site.apiPrefixes(), site.spa(), site.config().revision(),
                documents(site, active.map(DeploymentRoute::id), activatedAt), site.client().configAlias(),
                site.webhookSecrets(), lastEventSeq,
                site.responses().hsts().map(h -> io.vertx.core.http.HttpHeaders.createOptimized(h.headerValue())),
                site.responses().compressProxied());
    }

    /**
     * One site's build: its route (empty when the site is gone) and what it compiled, for the next build to reuse.
     *
     * @param rebalance the newly active deployment has files on disk that the memory budget would give it first:
     *     {@link SnapshotCompiler#rebalance(String)} the site once this build is live
     */
    public record SiteBuild(String site, Optional<SiteRoute> route, SiteCache cache, boolean rebalance) {
    }

    /**
     * What a site's latest build compiled: deployment routes by their inputs, the files each may lend to old tabs
     * ({@link RetainedLookup}), and the file bytes it holds in memory.
     */
    public record SiteCache(Map<RouteKey, DeploymentRoute> routes,
                            Map<RouteKey, Map<String, RetainedFile>> retainable, Set<RouteKey> starved,
                            Optional<RouteKey> active, Map<java.nio.file.Path, Buffer> loaded, long bytesInMemory) {
        static final SiteCache EMPTY = new SiteCache(Map.of(), Map.of(), Set.of(), Optional.empty(), Map.of(), 0);
    }

    /**
     * Everything a deployment's compiled files depend on besides the deployment itself (whose files never change):
     * equal inputs, equal files, so the compiled route is reused.
     */
    public record RouteKey(String deployment, SiteInputs site) {
    }

    /** The site settings that shape a deployment's served files: header rules, entry point, injected tags, backend. */
    public record SiteInputs(List<HeaderRule> headerRules, String entryPoint, ClientSettings client, String configJson,
                      long configRevision, Optional<Backend> defaultBackend) {
        static SiteInputs of(Site site) {
            return new SiteInputs(site.headerRules(), site.entryPoint(), site.client(), site.config().json(),
                    site.config().revision(), site.defaultBackend());
        }
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

    private DeploymentRoute compileDeployment(Site site, Deployment d, List<ManifestEntry> entries, List<Pattern> globs,
                                              Budget budget) {
        try {
            // Every file local before the route refers to it: the switch that follows never waits on a download.
            blobs.fetch(entries.stream().map(ManifestEntry::sha256).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the files of deployment " + d.id() + " local: "
                    + e.getMessage(), e);
        }
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
            Optional<ComputedVariants> computed = Optional.empty();
            Set<Coding> missing = EnumSet.noneOf(Coding.class);
            if (!plain.html() && compressor.isPresent() && e.size() > Compressor.MIN_SIZE
                    && ContentTypes.compressible(plain.contentType())) {
                // The build's own sibling wins; a coding it lacks is computed (found on disk, or queued).
                if (br.isEmpty()) {
                    br = computedVariant(plain, e, Coding.BROTLI, missing, budget);
                }
                if (gz.isEmpty()) {
                    gz = computedVariant(plain, e, Coding.GZIP, missing, budget);
                }
                computed = Optional.of(new ComputedVariants());
            }
            if (!plain.html() && (br.isPresent() || gz.isPresent() || computed.isPresent())) {
                plain = new ServedFile(plain.path(), plain.length(), plain.contentType(), plain.etag(),
                        plain.lastModified(), plain.cacheControl(), plain.headers(), plain.bytes(), plain.blob(),
                        Optional.empty(), br, gz, computed, false);
            }
            if (!missing.isEmpty()) {
                ServedFile identity = plain;
                ComputedVariants slot = computed.orElseThrow();
                // Computed later, served from disk: the memory budget was settled when this route was built.
                compressor.get().request(e.sha256(), missing, v -> slot.offer(
                        identity.encoded(v.coding().token(), v.path(), v.length(), v.etag(), Optional.empty())));
            }
            files.put("/" + e.path(), plain);
        }
        String entry = "/" + site.entryPoint();
        return new DeploymentRoute(d.id(), Map.copyOf(files), Optional.ofNullable(files.get(entry)),
                Optional.ofNullable(files.get("/404.html")),
                Pin.COOKIE + "=" + d.id() + "; Path=/; HttpOnly; SameSite=Lax",
                d.backend().or(site::defaultBackend).map(b -> b.isManaged()
                        ? BackendRoute.managed(b.healthPath(), pools.pool(d.id())) : BackendRoute.of(b)),
                d.state() == DeploymentState.STAGED);
    }

    /** A computed variant already stored (within the memory budget), or none: then queued if never computed. */
    private Optional<ServedFile> computedVariant(ServedFile plain, ManifestEntry e, Coding coding, Set<Coding> missing,
                                                 Budget budget) {
        VariantFiles.Lookup found = compressor.orElseThrow().find(e.sha256(), coding);
        if (found instanceof VariantFiles.Stored stored) {
            return Optional.of(plain.encoded(coding.token(), stored.path(), stored.length(),
                    Compressor.etag(e.sha256(), coding), budget.bytes(stored.path(), stored.length())));
        }
        if (found instanceof VariantFiles.Missing && compressor.get().codings().contains(coding)) {
            missing.add(coding);
        }
        return Optional.empty();
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
                : byName(e.path(), contentType).cacheControl();
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        extra.forEach((k, v) -> headers.add(new AbstractMap.SimpleImmutableEntry<>(k, v)));
        boolean html = encoding.isEmpty() && ContentTypes.isHtml(contentType) && e.size() <= MAX_INJECTED_HTML
                && !tags.isEmpty();
        if (html) {
            byte[] injected = HtmlInjector.inject(read(e.sha256()), tags);
            return new ServedFile(e.path(), injected.length, contentType, etag(Sha256.hex(injected)), lastModified,
                    cacheControl, List.copyOf(headers), Optional.of(Buffer.buffer(injected)), blobs.path(e.sha256()),
                    encoding, Optional.empty(), Optional.empty(), Optional.empty(), true);
        }
        return new ServedFile(e.path(), e.size(), contentType, etag(e.sha256()), lastModified, cacheControl,
                List.copyOf(headers), budget.bytes(e), blobs.path(e.sha256()), encoding,
                Optional.empty(), Optional.empty(), Optional.empty(), false);
    }

    byte[] read(String sha256) {
        return readBlob(blobs.path(sha256));
    }

    private static byte[] readBlob(java.nio.file.Path blob) {
        try {
            return Files.readAllBytes(blob);
        } catch (IOException ex) {
            throw new UncheckedIOException("blob " + blob.getFileName() + " is missing from the blob folder", ex);
        }
    }

    private static String etag(String hexSha256) {
        return "\"" + hexSha256.substring(0, 32) + "\"";
    }


    /** The memory given to small files in one site's build, shared by its deployments that contain the same blob. */
    private final class Budget {
        private final long total;
        private long left;
        /** Small files the budget had no room for: their deployment serves them from disk. */
        int refused;
        /** Bytes by blob file: a blob's bytes are held once however many files of the site have them. */
        private final Map<java.nio.file.Path, Buffer> previous;
        private final Map<java.nio.file.Path, Buffer> next = new HashMap<>();

        Budget(long total, Map<java.nio.file.Path, Buffer> previous) {
            this.total = total;
            this.left = total;
            this.previous = previous;
        }

        Optional<Buffer> bytes(ManifestEntry e) {
            return claim(blobs.path(e.sha256()), e.size(), Optional.empty());
        }

        /** A stored compressed variant's bytes, on the same terms as a blob's. */
        Optional<Buffer> bytes(java.nio.file.Path variant, long size) {
            return claim(variant, size, Optional.empty());
        }

        /**
         * Memory for one blob if the budget has room: bytes this build already holds, the file's own ({@code have}),
         * the previous build's, another site's, or the disk's.
         */
        private Optional<Buffer> claim(java.nio.file.Path blob, long size, Optional<Buffer> have) {
            Buffer held = next.get(blob);
            if (held != null) {
                return Optional.of(held);
            }
            if (size > maxFileInMemory) {
                return Optional.empty();
            }
            if (size > left) {
                refused++;
                return Optional.empty();
            }
            Buffer buffer = have.orElse(previous.get(blob));
            if (buffer == null) {
                buffer = sharedByAnotherSite(blob);
            }
            if (buffer == null) {
                buffer = Buffer.buffer(readBlob(blob));
            }
            left -= size;
            next.put(blob, buffer);
            return Optional.of(buffer);
        }

        /**
         * The same blob's bytes another site already holds (a build promoted from staging to production): one copy
         * in memory, counted by both sites' budgets (so a budget is never exceeded, at worst filled early).
         */
        private Buffer sharedByAnotherSite(java.nio.file.Path blob) {
            for (SiteCache other : caches.values()) {
                Buffer b = other.loaded().get(blob);
                if (b != null) {
                    return b;
                }
            }
            return null;
        }

        /** The route with each file in memory or on disk as this budget decides, in order; the same route if none moves. */
        DeploymentRoute rebudget(DeploymentRoute route) {
            Map<String, ServedFile> files = null;
            for (Map.Entry<String, ServedFile> e : route.files().entrySet()) {
                ServedFile placed = place(e.getValue());
                if (placed != e.getValue() && files == null) {
                    files = new LinkedHashMap<>(route.files());
                }
                if (files != null) {
                    files.put(e.getKey(), placed);
                }
            }
            if (files == null) {
                return route;
            }
            // Entry point and 404 page are HTML, whose injected bytes the budget does not manage: they stay.
            return new DeploymentRoute(route.id(), Map.copyOf(files), route.entryPoint(), route.notFoundPage(),
                    route.pinCookie(), route.backend(), route.staged());
        }

        private ServedFile place(ServedFile f) {
            if (f.html()) {
                return f;
            }
            Optional<ServedFile> br = f.brotli().map(this::place);
            Optional<ServedFile> gz = f.gzip().map(this::place);
            Optional<Buffer> bytes = claim(f.blob(), f.length(), f.bytes());
            boolean same = bytes.isPresent() == f.bytes().isPresent() && br.equals(f.brotli()) && gz.equals(f.gzip());
            if (same) {
                return f;
            }
            return new ServedFile(f.path(), f.length(), f.contentType(), f.etag(), f.lastModified(), f.cacheControl(),
                    f.headers(), bytes, f.blob(), f.contentEncoding(), br, gz, f.computed(), false);
        }


        /** Counts the bytes a reused route holds in memory (they stay, whatever the budget says now). */
        void keep(DeploymentRoute route) {
            for (ServedFile f : route.files().values()) {
                keep(f);
                f.brotli().ifPresent(this::keep);
                f.gzip().ifPresent(this::keep);
            }
        }

        private void keep(ServedFile f) {
            if (f.bytes().isPresent() && !f.html()) {
                if (next.putIfAbsent(f.blob(), f.bytes().get()) == null) {
                    left -= f.bytes().get().length();
                }
            }
        }

        long used() {
            return total - left;
        }
    }
}
