package dev.skewgate.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.model.Backend;
import dev.skewgate.model.CheckResult;
import dev.skewgate.model.CheckSettings;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.ConflictException;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.Durations;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.ManifestRules;
import dev.skewgate.model.Names;
import dev.skewgate.model.NotFoundException;
import dev.skewgate.model.PreconditionFailedException;
import dev.skewgate.model.Retention;
import dev.skewgate.model.RuntimeConfig;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.policy.ContentTypes;
import dev.skewgate.policy.Globs;
import dev.skewgate.routing.RoutingCompiler;
import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.Store;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every change to what is served: sites, deploys, activate, rollback, retire, promote, retention. It is the only
 * writer of the routing holder: each change is committed to the store first, then a whole new snapshot is built and
 * swapped in. Changes are serialized (one at a time across all sites); blob uploads run in parallel outside that.
 */
public final class ControlPlane {

    private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
    /** An upload that has not been finalized after this long is abandoned and removed by retention. */
    static final Duration ABANDON_AFTER = Duration.ofHours(24);

    private final Store store;
    private final BlobStore blobs;
    private final RoutingHolder routing;
    private final RoutingCompiler compiler;
    private final Clock clock;
    private volatile ChangeFeed feed = ChangeFeed.NONE;
    private volatile Set<Integer> ownPorts = Set.of();
    private volatile SwitchGuard guard = SwitchGuard.NONE;
    private volatile ActivityView activity = ActivityView.NONE;
    /** The latest synthetic check results per site (before a switch, and continuous). */
    private final Map<String, List<CheckResult>> lastChecks = new ConcurrentHashMap<>();
    private final Map<String, ActivationProgress> activations = new ConcurrentHashMap<>();
    private final Map<String, Integer> failedRounds = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastRound = new ConcurrentHashMap<>();
    /** Manifests of deployments being uploaded: sha256 -> size, so a blob upload is checked without a query. */
    private final Map<String, Map<String, Long>> uploading = new ConcurrentHashMap<>();

    public ControlPlane(Store store, BlobStore blobs, RoutingHolder routing, RoutingCompiler compiler, Clock clock) {
        this.store = store;
        this.blobs = blobs;
        this.routing = routing;
        this.compiler = compiler;
        this.clock = clock;
    }

    /** Where changes are announced to open tabs; set once while wiring, before the edge starts. */
    public void feed(ChangeFeed feed) {
        this.feed = feed;
    }

    /** What a switch must pass; set while wiring, once the edge listens. */
    public void guard(SwitchGuard guard) {
        this.guard = guard;
    }

    /** Where retention learns which previous deployments are idle. */
    public void activity(ActivityView activity) {
        this.activity = activity;
    }

    /** The gateway's own listening ports, so no backend is pointed back at it. */
    public void ownPorts(Set<Integer> ports) {
        this.ownPorts = Set.copyOf(ports);
    }

    private Set<String> ownHosts() {
        Set<String> hosts = new java.util.HashSet<>();
        for (Site s : store.sites()) {
            hosts.addAll(s.hosts());
        }
        return hosts;
    }

    /** Builds and publishes the first snapshot from what the store holds. */
    public synchronized void start() {
        rebuild();
    }

    // ---- sites -------------------------------------------------------------------------------------------------

    public synchronized Site createSite(String name, SiteSpec spec, String actor) {
        Names.siteName(name);
        Site draft = apply(new Site(name, List.of(), List.of("/api/"), true, "index.html", Retention.DEFAULT, List.of(),
                ClientSettings.DEFAULT, RuntimeConfig.EMPTY, List.of(), Optional.empty(), CheckSettings.DEFAULT,
                Optional.empty(), 1, clock.instant()), spec);
        if (draft.hosts().isEmpty()) {
            throw new InvalidRequestException("NO_HOSTS", "a site needs at least one host name (--host)");
        }
        Site site = draft.defaultBackend().isPresent()
                ? withDefaultBackend(draft, BackendRules.check(draft.defaultBackend().get(), ownPorts, ownHosts()))
                : draft;
        store.createSite(site, EventDraft.of("site.create", actor, clock.instant(), "hosts " + String.join(", ", site.hosts())));
        rebuild();
        return site(name);
    }

    /**
     * Deletes a site: every deployment is retired (open tabs are told), its hosts get the unknown-host page, its audit
     * log stays, and retention purges its deployments and blobs later. Refused while a deployment is live unless
     * {@code force}: deleting a live site takes it off the air.
     */
    public synchronized Store.SiteDeletion deleteSite(String name, boolean force, Optional<Long> ifMatch, String actor) {
        Site site = checkRevision(name, ifMatch);
        if (site.activeDeployment().isPresent() && !force) {
            throw new ConflictException("SITE_IS_LIVE", "site '" + name + "' is serving " + site.activeDeployment().get()
                    + " on " + String.join(", ", site.hosts()) + "; deleting it takes those hosts off the air: "
                    + "delete it anyway with --force (?force=true on the admin API)");
        }
        Store.SiteDeletion deletion = store.deleteSite(name, EventDraft.of("site.delete", actor, clock.instant(),
                "deleted; retired " + deletion(site, force)));
        lastChecks.remove(name);
        failedRounds.remove(name);
        lastRound.remove(name);
        rebuild();
        LOG.info("site {}: deleted, retired {}", name, deletion.retired());
        for (SiteEvent retired : deletion.retireEvents()) {
            announceRetired(retired, retired.deployment().orElseThrow());
        }
        return deletion;
    }

    private static String deletion(Site site, boolean force) {
        return site.activeDeployment().map(a -> "every deployment, " + a + " live until now" + (force ? " (forced)" : ""))
                .orElse("every deployment");
    }

    public synchronized Site updateSite(String name, SiteSpec spec, Optional<Long> ifMatch, String actor) {
        Site current = site(name);
        long expected = ifMatch.orElse(current.revision());
        Site next = apply(current, spec);
        if (spec.defaultBackend().isPresent() && spec.defaultBackend().get().isPresent()) {
            next = withDefaultBackend(next, BackendRules.check(spec.defaultBackend().get().get(), ownPorts, ownHosts()));
        }
        if (next.hosts().isEmpty()) {
            throw new InvalidRequestException("NO_HOSTS", "a site needs at least one host name");
        }
        Site updated = store.updateSite(next, expected, EventDraft.of("site.update", actor, clock.instant(),
                "settings changed"));
        rebuild();
        return updated;
    }

    private static Site apply(Site base, SiteSpec spec) {
        List<String> hosts = spec.hosts().map(h -> dedupe(h.stream().map(Names::hostName).toList())).orElse(base.hosts());
        List<String> prefixes = spec.apiPrefixes().map(p -> dedupe(p.stream().map(Names::apiPrefix).toList()))
                .orElse(base.apiPrefixes());
        String entry = spec.entryPoint().orElse(base.entryPoint());
        ManifestRules.checkPath(entry);
        Retention r = base.retention();
        Retention retention = new Retention(spec.skewWindow().orElse(r.skewWindow()),
                spec.keepPrevious().orElse(r.keepPrevious()), spec.purgeAfter().orElse(r.purgeAfter()));
        if (retention.keepPrevious() < 1 || retention.keepPrevious() > 1000) {
            throw new InvalidRequestException("INVALID_RETENTION",
                    "keepPrevious must be 1..1000: the newest previous deployment is the rollback target and is always kept");
        }
        if (retention.skewWindow().isNegative() || retention.purgeAfter().isNegative()) {
            throw new InvalidRequestException("INVALID_RETENTION", "durations must not be negative");
        }
        List<HeaderRule> rules = spec.headerRules().orElse(base.headerRules());
        for (HeaderRule rule : rules) {
            checkRule(rule);
        }
        ClientSettings c = base.client();
        ClientSettings client = new ClientSettings(spec.injectSdk().orElse(c.injectSdk()),
                spec.strategy().orElse(c.strategy()), spec.pollInterval().orElse(c.pollInterval()),
                spec.apiOrigins().map(ControlPlane::origins).orElse(c.apiOrigins()),
                spec.configAlias().isPresent() ? spec.configAlias().get().map(ControlPlane::alias) : c.configAlias());
        if (!ClientSettings.STRATEGIES.contains(client.strategy())) {
            throw new InvalidRequestException("INVALID_STRATEGY", "update strategy '" + client.strategy()
                    + "' is not one of " + new java.util.TreeSet<>(ClientSettings.STRATEGIES));
        }
        if (client.pollInterval().compareTo(Duration.ofSeconds(5)) < 0) {
            throw new InvalidRequestException("INVALID_POLL_INTERVAL", "the poll interval must be at least 5s");
        }
        CheckSettings k = base.checks();
        CheckSettings checks = new CheckSettings(spec.readinessProbes().orElse(k.readinessProbes()),
                spec.readinessTimeout().orElse(k.readinessTimeout()), spec.synthetic().orElse(k.synthetic()), spec.checkInterval().orElse(k.interval()),
                spec.autoRollback().orElse(k.autoRollback()),
                spec.retireWhenIdle().isPresent() ? spec.retireWhenIdle().get() : k.retireWhenIdle(),
                spec.wildcardSamples().map(ControlPlane::samples).orElse(k.wildcardSamples()));
        if (checks.readinessProbes() < 0 || checks.readinessProbes() > 20) {
            throw new InvalidRequestException("INVALID_CHECKS", "readiness probes must be 0..20");
        }
        if (checks.readinessTimeout().compareTo(Duration.ofSeconds(1)) < 0
                || checks.readinessTimeout().compareTo(Duration.ofMinutes(10)) > 0) {
            throw new InvalidRequestException("INVALID_CHECKS", "the readiness timeout must be 1s..10m");
        }
        if (!checks.interval().isZero() && checks.interval().compareTo(Duration.ofSeconds(5)) < 0) {
            throw new InvalidRequestException("INVALID_CHECKS", "the check interval must be 0 (off) or at least 5s");
        }
        Optional<Backend> defaultBackend = spec.defaultBackend().isPresent() ? spec.defaultBackend().get()
                : base.defaultBackend();
        return new Site(base.name(), hosts, prefixes, spec.spa().orElse(base.spa()), entry, retention, rules, client,
                base.config(), base.webhookSecrets(), defaultBackend, checks, base.activeDeployment(), base.revision(),
                base.createdAt());
    }

    private static Site withDefaultBackend(Site s, Backend backend) {
        return new Site(s.name(), s.hosts(), s.apiPrefixes(), s.spa(), s.entryPoint(), s.retention(), s.headerRules(),
                s.client(), s.config(), s.webhookSecrets(), Optional.of(backend), s.checks(), s.activeDeployment(),
                s.revision(), s.createdAt());
    }

    private static Map<String, String> samples(Map<String, String> raw) {
        Map<String, String> out = new java.util.TreeMap<>();
        raw.forEach((wildcard, sample) -> {
            String w = Names.hostName(wildcard);
            String h = Names.hostName(sample);
            if (!w.startsWith("*.") || !Names.covers(w, h)) {
                throw new InvalidRequestException("INVALID_CHECKS", "'" + sample + "' is not a sample of '" + wildcard + "'");
            }
            out.put(w, h);
        });
        return out;
    }

    private static List<String> origins(List<String> raw) {
        List<String> out = new ArrayList<>();
        for (String o : raw) {
            java.net.URI uri;
            try {
                uri = java.net.URI.create(o.trim());
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || uri.getHost() == null || !(("http".equals(uri.getScheme())) || "https".equals(uri.getScheme()))
                    || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))) {
                throw new InvalidRequestException("INVALID_ORIGIN", "'" + o + "' is not an origin like https://api.example.com");
            }
            out.add(uri.getScheme() + "://" + uri.getAuthority().toLowerCase(java.util.Locale.ROOT));
        }
        return dedupe(out);
    }

    private static String alias(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        ManifestRules.checkPath(p);
        if (p.startsWith("_skewgate/")) {
            throw new InvalidRequestException("INVALID_CONFIG_ALIAS", "the config alias cannot be under /_skewgate/");
        }
        return "/" + p;
    }

    private static void checkRule(HeaderRule rule) {
        if (rule.glob() == null || rule.glob().isBlank() || rule.headers().isEmpty()) {
            throw new InvalidRequestException("INVALID_HEADER_RULE", "a header rule needs a glob and at least one header");
        }
        Globs.compile(rule.glob());
        for (Map.Entry<String, String> h : rule.headers().entrySet()) {
            if (!h.getKey().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+") || h.getValue() == null
                    || h.getValue().chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
                throw new InvalidRequestException("INVALID_HEADER_RULE", "header '" + h.getKey() + "' is not a valid header");
            }
            String lower = h.getKey().toLowerCase(java.util.Locale.ROOT);
            if (Set.of("content-length", "transfer-encoding", "connection", "etag", "content-encoding",
                    "x-skewgate-deployment", "set-cookie").contains(lower)) {
                throw new InvalidRequestException("INVALID_HEADER_RULE",
                        "header '" + h.getKey() + "' is set by the gateway and cannot be overridden by a rule");
            }
        }
    }

    private static List<String> dedupe(List<String> values) {
        return List.copyOf(new LinkedHashSet<>(values));
    }

    public Site site(String name) {
        return store.site(name).orElseThrow(() -> new NotFoundException("SITE_NOT_FOUND", "no site named '" + name + "'"));
    }

    public List<Site> sites() {
        return store.sites();
    }

    // ---- deploy ------------------------------------------------------------------------------------------------

    /** Stores the manifest of a new deployment and answers which blobs still have to be uploaded. */
    public synchronized NewDeployment beginDeployment(String siteName, List<ManifestEntry> manifest, DeploymentMeta meta) {
        site(siteName);
        List<ManifestEntry> typed = new ArrayList<>(manifest.size());
        for (ManifestEntry e : ManifestRules.check(manifest)) {
            typed.add(new ManifestEntry(e.path(), e.sha256(), e.size(), ContentTypes.forPath(e.path())));
        }
        long total = typed.stream().mapToLong(ManifestEntry::size).sum();
        Optional<Backend> backend = meta.backend().map(b -> BackendRules.check(b, ownPorts, ownHosts()));
        Deployment d = new Deployment(DeploymentIds.next(), siteName, DeploymentState.UPLOADING, clock.instant(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), meta.message(), meta.gitSha(),
                meta.author(), typed.size(), total, Optional.empty(), backend);
        store.insertDeployment(d, typed);
        Map<String, Long> sizes = new HashMap<>();
        typed.forEach(e -> sizes.put(e.sha256(), e.size()));
        uploading.put(d.id(), sizes);
        List<String> missing = new ArrayList<>();
        long missingBytes = 0;
        for (Map.Entry<String, Long> blob : sizes.entrySet()) {
            if (!blobs.has(blob.getKey())) {
                missing.add(blob.getKey());
                missingBytes += blob.getValue();
            }
        }
        return new NewDeployment(d, missing, missingBytes);
    }

    /** Opens the upload of one blob of a deployment being uploaded; not serialized, so uploads run in parallel. */
    public BlobStore.BlobUpload openBlob(String deploymentId, String sha256) {
        Map<String, Long> sizes = uploading.get(deploymentId);
        if (sizes == null) {
            Deployment d = deployment(deploymentId);
            if (d.state() != DeploymentState.UPLOADING) {
                throw new ConflictException("NOT_UPLOADING", "deployment " + deploymentId + " is " + d.state().wire()
                        + "; blobs can only be sent before it is finalized");
            }
            sizes = new HashMap<>();
            for (ManifestEntry e : store.files(deploymentId)) {
                sizes.put(e.sha256(), e.size());
            }
            uploading.put(deploymentId, sizes);
        }
        Long size = sizes.get(sha256);
        if (size == null) {
            throw new InvalidRequestException("BLOB_NOT_IN_MANIFEST",
                    "blob " + sha256 + " is not part of deployment " + deploymentId + "'s manifest");
        }
        try {
            return blobs.open(sha256, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write blob " + sha256, e);
        }
    }

    /** Makes an uploaded deployment complete (staged), refusing while any blob is missing. */
    public synchronized Deployment finalizeDeployment(String deploymentId, String actor) {
        Deployment d = deployment(deploymentId);
        if (d.state() != DeploymentState.UPLOADING) {
            throw new ConflictException("ALREADY_FINALIZED", "deployment " + deploymentId + " is already " + d.state().wire());
        }
        List<String> missing = store.files(deploymentId).stream().map(ManifestEntry::sha256).distinct()
                .filter(sha -> !blobs.has(sha)).toList();
        if (!missing.isEmpty()) {
            throw new ConflictException("BLOBS_MISSING", missing.size() + " blob(s) of deployment " + deploymentId
                    + " have not been uploaded yet, e.g. " + missing.get(0));
        }
        store.markStaged(deploymentId, clock.instant(), EventDraft.about("deploy", deploymentId, actor, clock.instant(),
                d.fileCount() + (d.fileCount() == 1 ? " file, " : " files, ") + d.totalBytes()
                        + (d.totalBytes() == 1 ? " byte" : " bytes") + (d.message().isEmpty() ? "" : ": " + d.message())));
        uploading.remove(deploymentId);
        rebuild();
        return deployment(deploymentId);
    }

    public Deployment deployment(String id) {
        if (!DeploymentIds.isWellFormed(id)) {
            throw new InvalidRequestException("INVALID_DEPLOYMENT_ID", "'" + id + "' is not a deployment id (dpl_...)");
        }
        return store.deployment(id).orElseThrow(() -> new NotFoundException("DEPLOYMENT_NOT_FOUND",
                "no deployment " + id));
    }

    /** A site's deployments, newest first; those of an earlier site of the same name (deleted since) are left out. */
    public List<Deployment> deployments(String site) {
        Instant created = site(site).createdAt();
        return store.deployments(site).stream().filter(d -> d.state() != DeploymentState.UPLOADING)
                .filter(d -> d.retiredAt().map(r -> !r.isBefore(created)).orElse(true)).toList();
    }

    public List<ManifestEntry> files(String deploymentId) {
        deployment(deploymentId);
        return store.files(deploymentId);
    }

    // ---- activate, rollback, retire, promote ---------------------------------------------------------------------

    /** Makes a deployment the one unpinned clients get: one transaction, then the snapshot swap. */
    public synchronized Optional<SiteEvent> activate(String siteName, String deploymentId, Optional<Long> ifMatch,
                                                     String actor) {
        Site site = checkRevision(siteName, ifMatch);
        Deployment d = deploymentOf(site, deploymentId);
        switch (d.state()) {
            case UPLOADING -> throw new ConflictException("NOT_FINALIZED",
                    "deployment " + deploymentId + " is still uploading; finalize it first");
            case RETIRED, PURGED -> throw new ConflictException("DEPLOYMENT_RETIRED", "deployment " + deploymentId
                    + " is " + d.state().wire() + " and cannot serve again; deploy the same build again instead "
                    + "(unchanged files are not re-uploaded)");
            case ACTIVE -> {
                return Optional.empty();
            }
            default -> {
            }
        }
        checkBeforeSwitch(site, d);
        SiteEvent event = store.activate(siteName, deploymentId, EventDraft.of("activate", actor, clock.instant(),
                "activated " + deploymentId));
        rebuild();
        LOG.info("site {}: {} is active (was {})", siteName, deploymentId, event.previous().orElse("none"));
        return Optional.of(announceSwitch(event, "activate"));
    }

    /**
     * Backend readiness, then every host name through the edge. Any failure refuses the switch, naming the host and
     * the check; nothing has changed yet, so the live version stays as it is.
     */
    private void checkBeforeSwitch(Site site, Deployment d) {
        Instant since = clock.instant();
        java.util.function.Consumer<String> progress =
                step -> activations.put(site.name(), new ActivationProgress(d.id(), step, since));
        try {
            checkBeforeSwitch(site, d, progress);
        } finally {
            activations.remove(site.name());
        }
    }

    private void checkBeforeSwitch(Site site, Deployment d, java.util.function.Consumer<String> progress) {
        Optional<Backend> backend = d.backend().or(site::defaultBackend);
        if (backend.isPresent()) {
            progress.accept("probing the backend's health path");
            Optional<String> notReady = guard.notReady(site, backend.get(), progress);
            if (notReady.isPresent()) {
                throw new ConflictException("BACKEND_NOT_READY", notReady.get() + "; " + liveNote(site));
            }
        }
        if (!site.checks().synthetic()) {
            return;
        }
        progress.accept("synthetic checks of " + site.hosts().size() + " host name(s) through the edge");
        List<CheckResult> results = guard.synthetic(site, d.id(), backend);
        lastChecks.put(site.name(), results);
        List<CheckResult> failed = results.stream().filter(r -> !r.ok()).toList();
        if (!failed.isEmpty()) {
            String what = failed.stream().map(r -> r.host() + " (" + r.check() + " check: " + r.detail() + ")")
                    .collect(java.util.stream.Collectors.joining("; "));
            throw new ConflictException("SYNTHETIC_CHECK_FAILED", "activation of " + d.id() + " refused: " + what
                    + "; " + liveNote(site));
        }
    }

    private static String liveNote(Site site) {
        return site.activeDeployment().map(a -> a + " stays live").orElse("nothing was activated");
    }

    /** What a running activation of the site waits for, if one is running its checks. */
    public Optional<ActivationProgress> activationProgress(String siteName) {
        return Optional.ofNullable(activations.get(siteName));
    }

    /** The latest synthetic check results of a site. */
    public List<CheckResult> lastChecks(String siteName) {
        return lastChecks.getOrDefault(siteName, List.of());
    }

    /**
     * Re-checks the active deployment of every site whose check interval has passed; with auto-rollback on, two failed
     * rounds in a row after a switch roll the site back.
     */
    public void runContinuousChecks() {
        Instant now = clock.instant();
        for (Site site : store.sites()) {
            Duration every = site.checks().interval();
            if (every.isZero() || !site.checks().synthetic() || site.activeDeployment().isEmpty()) {
                continue;
            }
            Instant last = lastRound.get(site.name());
            if (last != null && last.plus(every).isAfter(now)) {
                continue;
            }
            lastRound.put(site.name(), now);
            String active = site.activeDeployment().get();
            Deployment d = store.deployment(active).orElseThrow();
            List<CheckResult> results = guard.synthetic(site, active, d.backend().or(site::defaultBackend));
            lastChecks.put(site.name(), results);
            boolean failed = results.stream().anyMatch(r -> !r.ok());
            int rounds = failed ? failedRounds.merge(site.name(), 1, Integer::sum) : 0;
            if (!failed) {
                failedRounds.remove(site.name());
            }
            if (failed) {
                LOG.warn("site {}: synthetic checks of {} failed ({} round(s) in a row): {}", site.name(), active, rounds,
                        results.stream().filter(r -> !r.ok()).map(r -> r.host() + " " + r.check() + ": " + r.detail())
                                .toList());
            }
            if (failed && rounds >= 2 && site.checks().autoRollback()) {
                synchronized (this) {
                    Site current = site(site.name());
                    if (current.activeDeployment().equals(Optional.of(active)) && store.rollbackTarget(site.name()).isPresent()) {
                        LOG.warn("site {}: auto-rollback from {} after failed synthetic checks", site.name(), active);
                        rollback(site.name(), Optional.empty(), "auto-rollback");
                        failedRounds.remove(site.name());
                    }
                }
            }
        }
    }

    /** Re-activates the most recently active previous deployment. */
    public synchronized SiteEvent rollback(String siteName, Optional<Long> ifMatch, String actor) {
        Site site = checkRevision(siteName, ifMatch);
        Deployment target = store.rollbackTarget(siteName)
                .orElseThrow(() -> new ConflictException("NO_ROLLBACK_TARGET",
                        "site '" + siteName + "' has no previous deployment to roll back to"));
        SiteEvent event = store.activate(site.name(), target.id(), EventDraft.of("rollback", actor, clock.instant(),
                "rolled back to " + target.id()));
        rebuild();
        LOG.info("site {}: rolled back to {} (was {})", siteName, target.id(), event.previous().orElse("none"));
        return announceSwitch(event, "rollback");
    }

    /** Turns a deployment off for good; the active one cannot be retired (activate another first). */
    public synchronized SiteEvent retire(String siteName, String deploymentId, Optional<Long> ifMatch, String actor) {
        Site site = checkRevision(siteName, ifMatch);
        Deployment d = deploymentOf(site, deploymentId);
        if (d.state() == DeploymentState.ACTIVE) {
            throw new ConflictException("DEPLOYMENT_ACTIVE", "deployment " + deploymentId
                    + " is active; activate or roll back to another one before retiring it");
        }
        if (d.state() != DeploymentState.PREVIOUS && d.state() != DeploymentState.STAGED) {
            throw new ConflictException("NOT_RETIRABLE", "deployment " + deploymentId + " is " + d.state().wire());
        }
        SiteEvent event = store.retire(siteName, deploymentId, EventDraft.about("retire", deploymentId, actor,
                clock.instant(), "retired " + deploymentId));
        rebuild();
        LOG.info("site {}: retired {}", siteName, deploymentId);
        return announceRetired(event, deploymentId);
    }

    /** A new staged deployment of another site with the same files: no bytes are copied. */
    public synchronized Deployment promote(String deploymentId, String targetSite, String actor) {
        Deployment source = deployment(deploymentId);
        if (!source.state().servable()) {
            throw new ConflictException("NOT_PROMOTABLE", "deployment " + deploymentId + " is " + source.state().wire()
                    + "; only staged, active or previous deployments can be promoted");
        }
        site(targetSite);
        List<ManifestEntry> files = store.files(deploymentId);
        Instant now = clock.instant();
        Deployment copy = new Deployment(DeploymentIds.next(), targetSite, DeploymentState.STAGED, now,
                Optional.of(now), Optional.empty(), Optional.empty(), Optional.empty(), source.message(),
                source.gitSha(), actor, source.fileCount(), source.totalBytes(), Optional.of(deploymentId),
                source.backend());
        store.insertStaged(copy, files, EventDraft.about("promote", copy.id(), actor, now,
                "promoted from " + deploymentId + " of site '" + source.site() + "'"));
        rebuild();
        return deployment(copy.id());
    }

    private Site checkRevision(String siteName, Optional<Long> ifMatch) {
        Site site = site(siteName);
        if (ifMatch.isPresent() && ifMatch.get() != site.revision()) {
            throw new PreconditionFailedException("STALE_REVISION", "site '" + siteName + "' is at revision "
                    + site.revision() + ", not " + ifMatch.get() + "; someone changed it first: re-read and retry");
        }
        return site;
    }

    private Deployment deploymentOf(Site site, String deploymentId) {
        Deployment d = deployment(deploymentId);
        if (!d.site().equals(site.name())) {
            throw new ConflictException("DEPLOYMENT_OF_ANOTHER_SITE", "deployment " + deploymentId + " belongs to site '"
                    + d.site() + "', not '" + site.name() + "'" + (d.state().servable()
                    ? ": run the command for site '" + d.site() + "', or serve the same build on '" + site.name()
                    + "' with 'skewgate promote " + deploymentId + " --to " + site.name() + "'"
                    : " and is " + d.state().wire() + ": deploy the same build to '" + site.name() + "' instead"));
        }
        return d;
    }

    public List<SiteEvent> events(String siteName, int limit) {
        if (!store.deletedSites().contains(siteName)) {
            site(siteName); // a deleted site's audit log stays readable
        }
        return store.events(siteName, limit);
    }

    // ---- runtime config and the deploy webhook -----------------------------------------------------------------

    /** Replaces a site's runtime config (already merged by the caller as it wishes) and tells open tabs. */
    public synchronized SiteEvent setConfig(String siteName, JsonNode config, boolean force, String actor) {
        Site site = site(siteName);
        String encoded = config == null ? "" : config.toString();
        ConfigRules.check(config, encoded, force);
        if (encoded.equals(site.config().json())) {
            throw new ConflictException("CONFIG_UNCHANGED", "the config of site '" + siteName + "' already has this value");
        }
        SiteEvent event = store.setConfig(siteName, encoded, EventDraft.of("config", actor, clock.instant(),
                "revision " + (site.config().revision() + 1) + " (" + encoded.length() + " bytes)"));
        rebuild();
        long revision = site(siteName).config().revision();
        // Small configs travel inside the event so thousands of tabs need not fetch config.json at the same moment.
        String data = "{\"revision\":" + revision + (encoded.length() <= 8192 ? ",\"config\":" + encoded : "") + "}";
        return announce(event, "config", data);
    }

    /** A new webhook secret for the site; the newest previous one stays valid so senders can rotate. */
    public synchronized String rotateWebhookSecret(String siteName, String actor) {
        Site site = site(siteName);
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        String secret = "whsec_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        List<String> secrets = new ArrayList<>();
        secrets.add(secret);
        if (!site.webhookSecrets().isEmpty()) {
            secrets.add(site.webhookSecrets().get(0));
        }
        store.setWebhookSecrets(siteName, secrets, EventDraft.of("webhook.rotate", actor, clock.instant(),
                secrets.size() + " secret(s) accepted"));
        rebuild();
        return secret;
    }

    /**
     * A frontend built and hosted elsewhere announced a new version through the signed webhook: audit it and tell open
     * tabs as an activation would.
     */
    public synchronized SiteEvent notifyExternal(String siteName, String version, String message) {
        site(siteName);
        SiteEvent event = store.appendEvent(siteName, notifyDraft(version, message));
        return announceExternal(event, version);
    }

    /**
     * The same for one signed webhook delivery: recorded with the event in one transaction and kept until
     * {@code expiresAt}, so a replay, even after a restart, is recognised; empty for a replay (nothing is told).
     */
    public synchronized Optional<SiteEvent> notifyExternalOnce(String siteName, String version, String message,
                                                               String delivery, Instant expiresAt) {
        site(siteName);
        return store.appendEventOnce(siteName, delivery, expiresAt, clock.instant(), notifyDraft(version, message))
                .map(event -> announceExternal(event, version));
    }

    private EventDraft notifyDraft(String version, String message) {
        return new EventDraft("notify", Optional.of(version), Optional.empty(), "webhook", clock.instant(),
                message.isEmpty() ? "external deploy " + version : message);
    }

    private SiteEvent announceExternal(SiteEvent event, String version) {
        String data = "{\"deployment\":" + quote(version) + ",\"previous\":null,\"reason\":\"activate\","
                + "\"required\":false,\"external\":true}";
        return announce(event, "deployment", data);
    }

    /** Open tabs of a site by the deployment they booted on (from their event streams). */
    public java.util.Map<String, Integer> openClients(String siteName) {
        return feed.openClients(siteName);
    }

    private SiteEvent announceSwitch(SiteEvent event, String reason) {
        String data = "{\"deployment\":" + quote(event.deployment().orElseThrow()) + ",\"previous\":"
                + event.previous().map(ControlPlane::quote).orElse("null") + ",\"reason\":\"" + reason + "\","
                + "\"required\":" + reason.equals("rollback") + "}";
        return announce(event, "deployment", data);
    }

    private SiteEvent announceRetired(SiteEvent event, String deploymentId) {
        return announce(event, "retired", "{\"deployment\":" + quote(deploymentId) + "}");
    }

    private SiteEvent announce(SiteEvent event, String type, String data) {
        int notified;
        try {
            notified = feed.publish(new ChangeFeed.Notice(event.site(), event.seq(), type, data));
        } catch (RuntimeException e) {
            LOG.warn("site {}: telling open tabs about event {} failed: {}", event.site(), event.seq(), e.toString());
            return event;
        }
        if (notified > 0) {
            store.setNotified(event.site(), event.seq(), notified);
        }
        LOG.info("site {}: event {} ({}) notified {} client(s)", event.site(), event.seq(), type, notified);
        return new SiteEvent(event.site(), event.seq(), event.type(), event.deployment(), event.previous(), event.actor(),
                event.at(), notified, event.detail());
    }

    private static String quote(String s) {
        return io.vertx.core.json.Json.encode(s);
    }

    // ---- retention ---------------------------------------------------------------------------------------------

    /**
     * Retires previous deployments older than the skew window beyond the newest {@code keepPrevious}, purges retired
     * ones after {@code purgeAfter}, removes abandoned uploads, then deletes blobs no manifest references.
     */
    public synchronized RetentionReport runRetention() {
        Instant now = clock.instant();
        List<String> retired = new ArrayList<>();
        List<String> purged = new ArrayList<>();
        List<String> abandoned = new ArrayList<>();
        List<SiteEvent> pendingRetired = new ArrayList<>();
        for (String deleted : store.deletedSites()) {
            // A deleted site's deployments were retired when it was deleted; its blobs are released on schedule.
            for (Deployment d : store.deployments(deleted)) {
                if (d.state() == DeploymentState.RETIRED
                        && d.retiredAt().orElse(now).plus(Retention.DEFAULT.purgeAfter()).isBefore(now)) {
                    store.purge(d.id());
                    purged.add(d.id());
                }
            }
        }
        for (Site site : store.sites()) {
            Retention r = site.retention();
            List<Deployment> all = store.deployments(site.name());
            List<Deployment> previous = all.stream().filter(d -> d.state() == DeploymentState.PREVIOUS)
                    .sorted(Comparator.comparing((Deployment d) -> d.demotedAt().orElse(Instant.EPOCH)).reversed())
                    .toList();
            Optional<Duration> idleLimit = site.checks().retireWhenIdle();
            for (int i = 0; i < previous.size(); i++) {
                Deployment d = previous.get(i);
                boolean pastWindow = i >= r.keepPrevious()
                        && d.demotedAt().orElse(Instant.EPOCH).plus(r.skewWindow()).isBefore(now);
                boolean idle = i > 0 && idleLimit.isPresent() && idleSince(site.name(), d).plus(idleLimit.get()).isBefore(now);
                if (pastWindow || idle) {
                    SiteEvent event = store.retire(site.name(), d.id(), EventDraft.about("retire", d.id(), "retention", now,
                            pastWindow ? "skew window of " + Durations.format(r.skewWindow()) + " passed"
                                    : "idle for " + Durations.format(idleLimit.get()) + ": no requests, no open tabs"));
                    retired.add(d.id());
                    pendingRetired.add(event);
                }
            }
            for (Deployment d : all) {
                if (d.state() == DeploymentState.RETIRED && d.retiredAt().orElse(now).plus(r.purgeAfter()).isBefore(now)) {
                    store.purge(d.id());
                    purged.add(d.id());
                } else if (d.state() == DeploymentState.UPLOADING && d.createdAt().plus(ABANDON_AFTER).isBefore(now)) {
                    store.deleteAbandoned(d.id());
                    uploading.remove(d.id());
                    abandoned.add(d.id());
                }
            }
        }
        if (!retired.isEmpty()) {
            rebuild();
            pendingRetired.forEach(e -> announceRetired(e, e.deployment().orElseThrow()));
        }
        int deleted = collectBlobs();
        if (!retired.isEmpty() || !purged.isEmpty() || !abandoned.isEmpty() || deleted > 0) {
            LOG.info("retention: retired {}, purged {}, removed abandoned uploads {}, deleted {} unreferenced blob(s)",
                    retired, purged, abandoned, deleted);
        }
        return new RetentionReport(retired, purged, abandoned, deleted);
    }

    /** Since when a previous deployment has had no request and no open connection (never idle while one is open). */
    private Instant idleSince(String site, Deployment d) {
        if (activity.openConnections(site, d.id()) > 0) {
            return Instant.MAX.minusSeconds(1_000_000_000L);
        }
        Instant demoted = d.demotedAt().orElse(Instant.EPOCH);
        return activity.lastRequest(d.id()).filter(t -> t.isAfter(demoted)).orElse(demoted);
    }

    private int collectBlobs() {
        try {
            Set<String> referenced = store.referencedBlobs();
            int deleted = 0;
            for (String sha : blobs.list()) {
                if (!referenced.contains(sha)) {
                    blobs.delete(sha);
                    deleted++;
                }
            }
            return deleted;
        } catch (IOException e) {
            LOG.warn("blob garbage collection failed, will retry: {}", e.toString());
            return 0;
        }
    }

    private void rebuild() {
        routing.swap(compiler.compile());
    }
}
