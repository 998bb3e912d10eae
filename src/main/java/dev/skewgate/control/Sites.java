package dev.skewgate.control;

import dev.skewgate.model.ConflictException;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Names;
import dev.skewgate.model.NotFoundException;
import dev.skewgate.model.PreconditionFailedException;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.push.ChangeNotice;
import dev.skewgate.store.Store;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sites: create, change settings, delete, and the reads of sites, their deployments and audit log. */
public final class Sites {

    private static final Logger LOG = LoggerFactory.getLogger(Sites.class);

    private final ChangeCore core;
    private final Store store;
    private final OwnAddresses own;
    private final Clock clock;
    private final ContinuousChecks checks;

    Sites(ChangeCore core, OwnAddresses own, Clock clock, ContinuousChecks checks) {
        this.core = core;
        this.store = core.store();
        this.own = own;
        this.clock = clock;
        this.checks = checks;
    }

    public Site create(String name, SiteSettings requested, String actor) {
        Names.siteName(name);
        SiteSettings settings = withCheckedBackend(SiteRules.check(requested), Optional.empty());
        Site site = settings.newSite(name, clock.instant());
        core.change(name, () -> store.createSite(site, EventDraft.of("site.create", actor, clock.instant(),
                "hosts " + String.join(", ", site.hosts()))));
        return get(name);
    }

    /**
     * Changes a site's settings: {@code patch} turns the current settings into the requested ones (the admin API's
     * merge patch), applied in the site's order to the settings as they are then, so a change of the active pointer
     * meanwhile is no conflict; with {@code ifMatch}, a site at another revision is ({@code PreconditionFailedException}).
     */
    public Site update(String name, UnaryOperator<SiteSettings> patch, Optional<Long> ifMatch, String actor) {
        return core.change(name, () -> {
            Site current = get(name);
            SiteSettings settings = withCheckedBackend(SiteRules.check(patch.apply(SiteSettings.of(current))),
                    current.defaultBackend());
            return store.updateSite(settings.applyTo(current), ifMatch.orElse(current.revision()),
                    EventDraft.of("site.update", actor, clock.instant(), "settings changed"));
        });
    }

    /** A default backend is checked when it changes (an unchanged one stays, even if the gateway's ports moved). */
    private SiteSettings withCheckedBackend(SiteSettings s, Optional<dev.skewgate.model.Backend> current) {
        if (s.defaultBackend().isEmpty() || s.defaultBackend().equals(current)) {
            return s;
        }
        return new SiteSettings(s.hosts(), s.apiPrefixes(), s.spa(), s.entryPoint(), s.retention(), s.headerRules(),
                s.client(), Optional.of(own.check(s.defaultBackend().get())), s.checks(),
                s.backendDefaults(), s.responses());
    }

    /**
     * Deletes a site: every deployment is retired (open tabs are told), its hosts get the unknown-host page, its audit
     * log stays, and retention purges its deployments and blobs later. Refused while a deployment is live unless
     * {@code force}: deleting a live site takes it off the air.
     */
    public Store.SiteDeletion delete(String name, boolean force, Optional<Long> ifMatch, String actor) {
        Store.SiteDeletion deletion = core.change(name, () -> {
            Site site = checkRevision(name, ifMatch);
            if (site.activeDeployment().isPresent() && !force) {
                throw new ConflictException("SITE_IS_LIVE", "site '" + name + "' is serving "
                        + site.activeDeployment().get() + " on " + String.join(", ", site.hosts())
                        + "; deleting it takes those hosts off the air: delete it anyway with --force (?force=true on "
                        + "the admin API)");
            }
            return store.deleteSite(name, EventDraft.of("site.delete", actor, clock.instant(),
                    "deleted; retired " + deletion(site, force)));
        }, d -> {
            LOG.info("site {}: deleted, retired {}", name, d.retired());
            for (SiteEvent retired : d.retireEvents()) {
                core.announce(retired, new ChangeNotice.Retired(name, retired.seq(), retired.deployment().orElseThrow()));
            }
            return d;
        });
        checks.forget(name);
        return deletion;
    }

    private static String deletion(Site site, boolean force) {
        return site.activeDeployment().map(a -> "every deployment, " + a + " live until now" + (force ? " (forced)" : ""))
                .orElse("every deployment");
    }

    public Site get(String name) {
        return store.site(name).orElseThrow(() -> new NotFoundException("SITE_NOT_FOUND", "no site named '" + name + "'"));
    }

    public List<Site> list() {
        return store.sites();
    }

    /** The site, if it is still at the revision the caller saw ({@code If-Match}); 412 otherwise. */
    Site checkRevision(String siteName, Optional<Long> ifMatch) {
        Site site = get(siteName);
        if (ifMatch.isPresent() && ifMatch.get() != site.revision()) {
            throw new PreconditionFailedException("STALE_REVISION", "site '" + siteName + "' is at revision "
                    + site.revision() + ", not " + ifMatch.get() + "; someone changed it first: re-read and retry");
        }
        return site;
    }

    public Deployment deployment(String id) {
        if (!DeploymentIds.isWellFormed(id)) {
            throw new InvalidRequestException("INVALID_DEPLOYMENT_ID", "'" + id + "' is not a deployment id (dpl_...)");
        }
        return store.deployment(id).orElseThrow(() -> new NotFoundException("DEPLOYMENT_NOT_FOUND",
                "no deployment " + id));
    }

    /** The deployment, if it belongs to the site; a clear 409 naming the right command otherwise. */
    Deployment deploymentOf(Site site, String deploymentId) {
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

    /** A site's deployments, newest first; those of an earlier site of the same name (deleted since) are left out. */
    public List<Deployment> deployments(String site) {
        Instant created = get(site).createdAt();
        return store.deployments(site).stream().filter(d -> d.state() != DeploymentState.UPLOADING)
                .filter(d -> d.retiredAt().map(r -> !r.isBefore(created)).orElse(true)).toList();
    }

    public List<ManifestEntry> files(String deploymentId) {
        deployment(deploymentId);
        return store.files(deploymentId);
    }

    public List<SiteEvent> events(String siteName, int limit) {
        if (!store.deletedSites().contains(siteName)) {
            get(siteName); // a deleted site's audit log stays readable
        }
        return store.events(siteName, limit);
    }
}
