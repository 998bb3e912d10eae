package dev.skewgate.control;

import dev.skewgate.model.Backend;
import dev.skewgate.model.CheckResult;
import dev.skewgate.model.ConflictException;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.model.SkewgateException;
import dev.skewgate.push.ChangeNotice;
import dev.skewgate.store.Store;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What serves: activate (after readiness and synthetic checks), rollback, retire, promote. The checks run before the
 * change and outside every lock, so an activation waiting for a slow backend holds up no other change; the switch then
 * re-validates that the site did not change meanwhile.
 */
public final class Lifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

    private final ChangeCore core;
    private final Store store;
    private final Sites sites;
    private final Uploads uploads;
    private final SwitchGuard guard;
    private final ContinuousChecks checks;
    private final Clock clock;
    private final BackendProcesses backends;
    private final ControlEvents events;
    private final Map<String, ActivationProgress> activations = new ConcurrentHashMap<>();

    Lifecycle(ChangeCore core, Sites sites, Uploads uploads, SwitchGuard guard, ContinuousChecks checks,
              BackendProcesses backends, Clock clock, ControlEvents events) {
        this.backends = backends;
        this.events = events;
        this.core = core;
        this.store = core.store();
        this.sites = sites;
        this.uploads = uploads;
        this.guard = guard;
        this.checks = checks;
        this.clock = clock;
    }

    /**
     * Makes a deployment the one unpinned clients get; empty when it already is. With a backend or synthetic checks to
     * pass, they run first (outside every lock); a change to the same site meanwhile refuses the switch (409), so
     * nothing that was checked against is lost or switched blindly.
     */
    public Optional<SiteEvent> activate(String siteName, String deploymentId, Optional<Long> ifMatch, String actor) {
        try {
            return activateChecked(siteName, deploymentId, ifMatch, actor);
        } catch (SkewgateException e) {
            events.activationRefused(siteName, e.code()); // an unknown site is dropped there: no series for typos
            throw e;
        }
    }

    private Optional<SiteEvent> activateChecked(String siteName, String deploymentId, Optional<Long> ifMatch,
                                                String actor) {
        Site seen = sites.checkRevision(siteName, ifMatch);
        Deployment d = sites.deploymentOf(seen, deploymentId);
        if (!activatable(d)) {
            return Optional.empty();
        }
        Optional<Backend> backend = d.backend().or(seen::defaultBackend);
        boolean checked = backend.isPresent() || seen.checks().synthetic();
        if (checked) {
            long t0 = System.nanoTime();
            checkBeforeSwitch(seen, d, backend);
            LOG.debug("site {}: checks before switching to {} took {} us", siteName, deploymentId,
                    (System.nanoTime() - t0) / 1000);
        }
        SiteEvent event = core.change(siteName, () -> {
            Site now = checked ? sites.get(siteName) : sites.checkRevision(siteName, ifMatch);
            Deployment current = sites.deploymentOf(now, deploymentId);
            if (!activatable(current)) {
                return null; // activated by someone else meanwhile: what was asked for holds
            }
            if (checked && now.revision() != seen.revision()) {
                throw changedDuringChecks(now, seen, deploymentId);
            }
            return store.activate(siteName, deploymentId, EventDraft.of("activate", actor, clock.instant(),
                    "activated " + deploymentId));
        }, e -> e == null ? null : announceSwitch(e, "activate"));
        if (event != null) {
            LOG.info("site {}: {} is active (was {})", siteName, deploymentId, event.previous().orElse("none"));
        }
        return Optional.ofNullable(event);
    }

    /** False when already active; refuses a deployment that cannot serve. */
    private static boolean activatable(Deployment d) {
        return switch (d.state()) {
            case UPLOADING -> throw new ConflictException("NOT_FINALIZED",
                    "deployment " + d.id() + " is still uploading; finalize it first");
            case RETIRED, PURGED -> throw new ConflictException("DEPLOYMENT_RETIRED", "deployment " + d.id()
                    + " is " + d.state().wire() + " and cannot serve again; deploy the same build again instead "
                    + "(unchanged files are not re-uploaded)");
            case ACTIVE -> false;
            default -> true;
        };
    }

    private ConflictException changedDuringChecks(Site now, Site seen, String deploymentId) {
        String what = store.events(now.name(), 1).stream().findFirst()
                .map(e -> ": " + e.type() + " by " + e.actor() + (e.detail().isEmpty() ? "" : ", " + e.detail()))
                .orElse("");
        return new ConflictException("CHANGED_DURING_CHECKS", "site '" + now.name() + "' changed while the checks of "
                + deploymentId + " ran (revision " + seen.revision() + " is now " + now.revision() + what
                + "); nothing was activated, " + liveNote(now) + ": look at the site and activate again");
    }

    /**
     * Backend readiness, then every host name through the edge. Any failure refuses the switch, naming the host and
     * the check; nothing has changed yet, so the live version stays as it is.
     */
    private void checkBeforeSwitch(Site site, Deployment d, Optional<Backend> backend) {
        Instant since = clock.instant();
        Consumer<String> progress = step -> activations.put(site.name(), new ActivationProgress(d.id(), step, since));
        try {
            if (backend.isPresent() && backend.get().isManaged()) {
                progress.accept("starting the backend's instances");
                Optional<BackendProcesses.NotReady> notReady = backends.prepare(site, d, progress);
                if (notReady.isPresent()) {
                    String message = notReady.get().message();
                    // After a log tail, the verdict gets a line of its own, not glued to the app's last line.
                    throw new ConflictException(notReady.get().code(), message + (message.contains("\n") ? "\n" : "; ")
                            + liveNote(site));
                }
            } else if (backend.isPresent()) {
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
            // Pinned to d through the edge: right after a start d may still be pending in the background compile,
            // and waiting there would eat the checks' timeout.
            core.compilePending(site.name());
            List<CheckResult> results = guard.synthetic(site, d.id(), backend);
            checks.record(site.name(), results);
            List<CheckResult> failed = results.stream().filter(r -> !r.ok()).toList();
            if (!failed.isEmpty()) {
                String what = failed.stream().map(r -> r.host() + " (" + r.check() + " check: " + r.detail() + ")")
                        .collect(Collectors.joining("; "));
                throw new ConflictException("SYNTHETIC_CHECK_FAILED", "activation of " + d.id() + " refused: " + what
                        + "; " + liveNote(site));
            }
        } finally {
            activations.remove(site.name());
        }
    }

    private static String liveNote(Site site) {
        return site.activeDeployment().map(a -> a + " stays live").orElse("nothing was activated");
    }

    /** What a running activation of the site waits for, if one is running its checks. */
    public Optional<ActivationProgress> progress(String siteName) {
        return Optional.ofNullable(activations.get(siteName));
    }

    /** Re-activates the most recently active previous deployment: no checks, for emergencies it must be immediate. */
    public SiteEvent rollback(String siteName, Optional<Long> ifMatch, String actor) {
        SiteEvent event = core.change(siteName, () -> {
            Site site = sites.checkRevision(siteName, ifMatch);
            Deployment target = store.rollbackTarget(siteName)
                    .orElseThrow(() -> new ConflictException("NO_ROLLBACK_TARGET",
                            "site '" + siteName + "' has no previous deployment to roll back to"));
            return store.activate(site.name(), target.id(), EventDraft.of("rollback", actor, clock.instant(),
                    "rolled back to " + target.id()));
        }, e -> announceSwitch(e, "rollback"));
        LOG.info("site {}: rolled back to {} (was {})", siteName, event.deployment().orElseThrow(),
                event.previous().orElse("none"));
        return event;
    }

    /** Turns a deployment off for good; the active one cannot be retired (activate another first). */
    public SiteEvent retire(String siteName, String deploymentId, Optional<Long> ifMatch, String actor) {
        SiteEvent event = core.change(siteName, () -> {
            Site site = sites.checkRevision(siteName, ifMatch);
            Deployment d = sites.deploymentOf(site, deploymentId);
            if (d.state() == DeploymentState.ACTIVE) {
                throw new ConflictException("DEPLOYMENT_ACTIVE", "deployment " + deploymentId
                        + " is active; activate or roll back to another one before retiring it");
            }
            if (d.state() != DeploymentState.PREVIOUS && d.state() != DeploymentState.STAGED) {
                throw new ConflictException("NOT_RETIRABLE", "deployment " + deploymentId + " is " + d.state().wire());
            }
            return store.retire(siteName, deploymentId, EventDraft.about("retire", deploymentId, actor,
                    clock.instant(), "retired " + deploymentId));
        }, e -> announceRetired(e));
        LOG.info("site {}: retired {}", siteName, deploymentId);
        return event;
    }

    /** A new staged deployment of another site with the same files: no bytes are copied. */
    public Deployment promote(String deploymentId, String targetSite, String actor) {
        Deployment source = sites.deployment(deploymentId);
        promotable(source);
        sites.get(targetSite);
        List<ManifestEntry> files = store.files(deploymentId);
        Instant now = clock.instant();
        Deployment copy = new Deployment(uploads.newId(), targetSite, DeploymentState.STAGED, now,
                Optional.of(now), Optional.empty(), Optional.empty(), Optional.empty(), source.message(),
                source.gitSha(), actor, source.fileCount(), source.totalBytes(), Optional.of(deploymentId),
                source.backend());
        uploads.referencing(() -> core.changeAdding(targetSite, copy, files, () -> {
            promotable(sites.deployment(deploymentId));
            sites.get(targetSite);
            return store.insertStaged(copy, files, EventDraft.about("promote", copy.id(), actor, now,
                    "promoted from " + deploymentId + " of site '" + source.site() + "'"));
        }, e -> e));
        return sites.deployment(copy.id());
    }

    private static void promotable(Deployment d) {
        if (!d.state().servable()) {
            throw new ConflictException("NOT_PROMOTABLE", "deployment " + d.id() + " is " + d.state().wire()
                    + "; only staged, active or previous deployments can be promoted");
        }
    }

    SiteEvent announceSwitch(SiteEvent event, String reason) {
        return core.announce(event, new ChangeNotice.Switched(event.site(), event.seq(), event.deployment().orElseThrow(),
                event.previous(), reason));
    }

    SiteEvent announceRetired(SiteEvent event) {
        return core.announce(event, new ChangeNotice.Retired(event.site(), event.seq(), event.deployment().orElseThrow()));
    }
}
