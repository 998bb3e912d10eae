package dev.skewgate.store;

import dev.skewgate.model.Deployment;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Durable metadata: sites, deployments with their manifests, and the audited event log. Every method is one
 * transaction. Only the control plane calls it; the data plane never does.
 */
public interface Store extends AutoCloseable {

    /** Inserts a new site with its hosts; {@code ConflictException} if the name or a host is taken. */
    void createSite(Site site);

    /**
     * Replaces a site's settings and hosts if its revision is still {@code expectedRevision}; returns it with
     * the revision increased. {@code PreconditionFailedException} when stale.
     */
    Site updateSite(Site site, long expectedRevision);

    List<Site> sites();

    Optional<Site> site(String name);

    /** Stores a deployment (normally {@code uploading}) and its manifest. */
    void insertDeployment(Deployment deployment, List<ManifestEntry> files);

    /** Moves an uploading deployment to staged. */
    void markStaged(String deploymentId, Instant at);

    Optional<Deployment> deployment(String id);

    /** A site's deployments, newest first, purged ones included. */
    List<Deployment> deployments(String site);

    /** Every deployment in the given states, across sites, newest first. */
    List<Deployment> deploymentsInStates(Set<dev.skewgate.model.DeploymentState> states);

    List<ManifestEntry> files(String deploymentId);

    /**
     * In one transaction: the site's active deployment (if any) becomes previous, {@code deploymentId} becomes
     * active, the site's pointer and revision move, and the event is appended. Returns the event.
     */
    SiteEvent activate(String site, String deploymentId, String eventType, String actor, Instant at, String detail);

    /** In one transaction: the deployment becomes retired and the event is appended. */
    SiteEvent retire(String site, String deploymentId, String actor, Instant at, String detail);

    /** Drops a retired deployment's manifest and marks it purged (its metadata stays for 410 answers). */
    void purge(String deploymentId);

    /** Removes a deployment that never finished uploading, with its manifest. */
    void deleteAbandoned(String deploymentId);

    /** Every sha256 that some deployment's manifest still references. */
    Set<String> referencedBlobs();

    /** Appends an audited event and returns it with its number. */
    SiteEvent appendEvent(String site, String type, Optional<String> deployment, Optional<String> previous,
                          String actor, Instant at, String detail);

    /** The newest events of a site, newest first. */
    List<SiteEvent> events(String site, int limit);

    /** Runs the database's own consistency check; true when it reports no problem. */
    boolean integrityOk();

    @Override
    void close();
}
