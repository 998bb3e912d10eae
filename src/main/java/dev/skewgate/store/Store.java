package dev.skewgate.store;

import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EnvEntries;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Durable metadata: sites, deployments with their manifests, and the audited event log. Every method is one
 * transaction (or joins the one {@link #transaction} runs), and every change is written together with the event that records it. Only the control plane calls
 * it; the data plane never does.
 */
public interface Store extends AutoCloseable {

    /**
     * Inserts a new site with its hosts; {@code ConflictException} if the name or a host is taken. A deleted site of
     * the same name is revived with the new settings (its audit log goes on; its old deployments stay retired).
     */
    SiteEvent createSite(Site site, EventDraft event);

    /**
     * Replaces a site's settings and hosts (not its config or active pointer) if its revision is still
     * {@code expectedRevision}; returns it with the revision increased. {@code PreconditionFailedException} when stale.
     */
    Site updateSite(Site site, long expectedRevision, EventDraft event);

    /** Replaces a site's runtime config; its config revision and site revision increase. */
    SiteEvent setConfig(String site, String json, EventDraft event);

    /** A site's server-side environment (plaintext, for the control plane only) and its revision. */
    EnvEntries env(String site);

    /**
     * Sets and removes keys of a site's server-side environment (values stored encrypted); its env revision increases
     * (not the site's: the env is not a setting of what is served) and the event is appended.
     */
    SiteEvent setEnv(String site, java.util.Map<String, String> set, Set<String> unset, EventDraft event);

    /** Replaces the webhook secrets of a site (newest first). */
    void setWebhookSecrets(String site, List<String> secrets, EventDraft event);

    /**
     * Runs {@code work} as one transaction: every call it makes to this store joins it, and nothing it wrote is kept
     * when it throws. Other callers wait until it ends, so keep the work short (no network, no waiting).
     */
    <T> T transaction(java.util.function.Supplier<T> work);

    List<Site> sites();

    Optional<Site> site(String name);

    /** Stores a deployment in state {@code uploading} and its manifest. */
    void insertDeployment(Deployment deployment, List<ManifestEntry> files);

    /**
     * The same, for a deployment that brings its backend as a folder: its manifest and its own environment (plaintext
     * here, stored encrypted) in the same transaction.
     */
    void insertDeployment(Deployment deployment, List<ManifestEntry> files, List<dev.skewgate.model.BackendFile> backend,
                          Map<String, String> env);

    /** A deployment's backend folder manifest (empty without a managed backend), ordered by path. */
    List<dev.skewgate.model.BackendFile> backendFiles(String deploymentId);

    /** A deployment's own environment, decrypted (empty without one). */
    Map<String, String> deploymentEnv(String deploymentId);

    /** When the deployment's release command succeeded, if it did. */
    Optional<Instant> releasedAt(String deploymentId);

    void markReleased(String deploymentId, Instant at);

    /** Stores a complete deployment (state {@code staged}) with its manifest and event: used by promote (which
     * also copies the source's backend folder manifest and environment). */
    SiteEvent insertStaged(Deployment deployment, List<ManifestEntry> files, EventDraft event);

    /** Moves an uploading deployment to staged. */
    SiteEvent markStaged(String deploymentId, Instant at, EventDraft event);

    Optional<Deployment> deployment(String id);

    /** A site's deployments, newest first, purged ones included. */
    List<Deployment> deployments(String site);

    /** Every deployment in the given states, across sites, newest first. */
    List<Deployment> deploymentsInStates(Set<DeploymentState> states);

    List<ManifestEntry> files(String deploymentId);

    /**
     * In one transaction: the site's active deployment (if any) becomes previous, {@code deploymentId} becomes
     * active, the site's pointer and revision move, and the event (its {@code previous} filled in) is appended.
     */
    SiteEvent activate(String site, String deploymentId, EventDraft event);

    /** The previous deployment demoted most recently (by event order, not clock): the rollback target. */
    Optional<Deployment> rollbackTarget(String site);

    /**
     * In one transaction: every deployment of the site that is not retired yet becomes retired, the site's hosts are
     * released, the site is marked deleted (no longer listed or found) and the event is appended. The audit log stays.
     *
     * @return the events: one per deployment it retired, and the deletion's own
     */
    SiteDeletion deleteSite(String site, EventDraft event);

    /** Names of deleted sites, whose retired deployments retention still purges. */
    List<String> deletedSites();

    /**
     * What deleting a site did.
     *
     * @param retireEvents one {@code retire} event per deployment it retired, before {@code event}
     */
    record SiteDeletion(SiteEvent event, List<SiteEvent> retireEvents) {
        public List<String> retired() {
            return retireEvents.stream().map(e -> e.deployment().orElseThrow()).toList();
        }
    }

    /** In one transaction: the deployment becomes retired and the event is appended. */
    SiteEvent retire(String site, String deploymentId, EventDraft event);

    /** Drops a retired deployment's manifest and marks it purged (its metadata stays for 410 answers). */
    void purge(String deploymentId);

    /** Removes a deployment that never finished uploading, with its manifest. */
    void deleteAbandoned(String deploymentId);

    /** Every sha256 that some deployment's manifest still references. */
    Set<String> referencedBlobs();

    /** Appends an audited event that changes nothing else, and returns it with its number. */
    SiteEvent appendEvent(String site, EventDraft event);

    /**
     * In one transaction: forgets deliveries past their expiry, and unless {@code delivery} was recorded before (a
     * replay), records it until {@code expiresAt} and appends the event. Empty for a replay. At most
     * {@link #MAX_DELIVERIES} are kept: past that the oldest are forgotten first.
     */
    Optional<SiteEvent> appendEventOnce(String site, String delivery, Instant expiresAt, Instant now, EventDraft event);

    /** Deliveries kept for replay detection at most (only validly signed ones are ever recorded). */
    int MAX_DELIVERIES = 10_000;

    /** Adds how many connected clients of this gateway an event reached (each node adds its own). */
    void setNotified(String site, long seq, int notified);

    /** The newest events of a site, newest first. */
    List<SiteEvent> events(String site, int limit);

    /** Runs a trivial query, for readiness; throws {@link StoreFailure} when the store does not answer it. */
    void ping();

    /** Runs the database's own consistency check; true when it reports no problem. */
    boolean integrityOk();

    /** Which kind of store this is and where, without credentials (for the start banner and {@code /v1/health}). */
    StoreInfo info();

    @Override
    void close();
}
