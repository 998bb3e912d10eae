package dev.skewgate.store.postgres;

import dev.skewgate.model.BackendFile;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EnvEntries;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.store.Store;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.store.StoreInfo;
import dev.skewgate.store.sqlite.SqliteStore;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store of a node that started while its PostgreSQL database was unreachable: reads answer from the node's
 * {@link LastKnownGood} copy and every write fails as a store failure (503, nothing changed) until {@link #connect}
 * reaches the database; from then on every call is the PostgreSQL store's. A write never lands in the copy, and a
 * transaction begun on the copy stays on it to its end even if the database returns meanwhile.
 */
public final class StandbyStore implements Store {

    private static final Logger LOG = LoggerFactory.getLogger(StandbyStore.class);

    private final PostgresStore database;
    private final Instant savedAt;
    private volatile SqliteStore copy;
    private volatile boolean connected;
    /** Set while the calling thread runs a transaction that began on the copy. */
    private final ThreadLocal<Boolean> onCopy = new ThreadLocal<>();

    private StandbyStore(PostgresStore database, SqliteStore copy, Instant savedAt) {
        this.database = database;
        this.copy = copy;
        this.savedAt = savedAt;
    }

    /** Serves from the copy in {@code dataDir} until {@code database} (not connected yet) is reached. */
    public static StandbyStore of(PostgresStore database, Path dataDir) {
        Instant saved = LastKnownGood.savedAt(dataDir).orElseThrow(() -> new IllegalStateException(
                "no last-known-good copy in " + dataDir));
        return new StandbyStore(database, LastKnownGood.open(dataDir), saved);
    }

    /** When the copy this node serves from was saved. */
    public Instant savedAt() {
        return savedAt.truncatedTo(ChronoUnit.SECONDS);
    }

    /** Whether the database was reached; from then on the copy is closed and every call goes there. */
    public boolean connected() {
        return connected;
    }

    /**
     * Reaches the database (schema, secret key: {@link PostgresStore#connect}) and moves every later call there;
     * a {@link StoreFailure} while it stays unreachable. Does nothing once connected.
     */
    public synchronized void connect() {
        if (connected) {
            return;
        }
        database.connect();
        connected = true;
        SqliteStore was = copy;
        copy = null;
        was.close(); // before this node saves a new copy over it
        LOG.info("database reachable again at {}: re-reading everything; admin writes are accepted again",
                database.info().where());
    }

    private boolean onDatabase() {
        return connected && onCopy.get() == null;
    }

    private Store reads() {
        SqliteStore c = copy;
        return onDatabase() || c == null ? database : c;
    }

    private Store writes() {
        if (!onDatabase()) {
            throw new StoreFailure("the database (PostgreSQL at " + database.info().where() + ") has been "
                    + "unreachable since this gateway started: it serves its last-known-good snapshot of "
                    + savedAt() + " until the database returns", null);
        }
        return database;
    }

    @Override
    public <T> T transaction(Supplier<T> work) {
        if (onCopy.get() != null) {
            return work.get();
        }
        if (connected) {
            return database.transaction(work);
        }
        onCopy.set(Boolean.TRUE);
        try {
            return work.get();
        } finally {
            onCopy.remove();
        }
    }

    @Override
    public void ping() {
        writes().ping();
    }

    @Override
    public StoreInfo info() {
        return database.info();
    }

    @Override
    public void close() {
        SqliteStore c = copy;
        copy = null;
        if (c != null) {
            c.close();
        }
        database.close();
    }

    // Reads: the copy until connected.

    @Override
    public EnvEntries env(String site) {
        return reads().env(site);
    }

    @Override
    public List<Site> sites() {
        return reads().sites();
    }

    @Override
    public Optional<Site> site(String name) {
        return reads().site(name);
    }

    @Override
    public List<BackendFile> backendFiles(String deploymentId) {
        return reads().backendFiles(deploymentId);
    }

    @Override
    public Map<String, String> deploymentEnv(String deploymentId) {
        return reads().deploymentEnv(deploymentId);
    }

    @Override
    public Optional<Instant> releasedAt(String deploymentId) {
        return reads().releasedAt(deploymentId);
    }

    @Override
    public Optional<Deployment> deployment(String id) {
        return reads().deployment(id);
    }

    @Override
    public List<Deployment> deployments(String site) {
        return reads().deployments(site);
    }

    @Override
    public List<Deployment> deploymentsInStates(Set<DeploymentState> states) {
        return reads().deploymentsInStates(states);
    }

    @Override
    public List<ManifestEntry> files(String deploymentId) {
        return reads().files(deploymentId);
    }

    @Override
    public Optional<Deployment> rollbackTarget(String site) {
        return reads().rollbackTarget(site);
    }

    @Override
    public List<String> deletedSites() {
        return reads().deletedSites();
    }

    @Override
    public Set<String> referencedBlobs() {
        return reads().referencedBlobs();
    }

    @Override
    public List<SiteEvent> events(String site, int limit) {
        return reads().events(site, limit);
    }

    @Override
    public boolean integrityOk() {
        return reads().integrityOk();
    }

    // Writes: refused until connected.

    @Override
    public SiteEvent createSite(Site site, EventDraft event) {
        return writes().createSite(site, event);
    }

    @Override
    public Site updateSite(Site site, long expectedRevision, EventDraft event) {
        return writes().updateSite(site, expectedRevision, event);
    }

    @Override
    public SiteEvent setConfig(String site, String json, EventDraft event) {
        return writes().setConfig(site, json, event);
    }

    @Override
    public SiteEvent setEnv(String site, Map<String, String> set, Set<String> unset, EventDraft event) {
        return writes().setEnv(site, set, unset, event);
    }

    @Override
    public void setWebhookSecrets(String site, List<String> secrets, EventDraft event) {
        writes().setWebhookSecrets(site, secrets, event);
    }

    @Override
    public void insertDeployment(Deployment deployment, List<ManifestEntry> files) {
        writes().insertDeployment(deployment, files);
    }

    @Override
    public void insertDeployment(Deployment deployment, List<ManifestEntry> files, List<BackendFile> backend,
                                 Map<String, String> env) {
        writes().insertDeployment(deployment, files, backend, env);
    }

    @Override
    public void markReleased(String deploymentId, Instant at) {
        writes().markReleased(deploymentId, at);
    }

    @Override
    public SiteEvent insertStaged(Deployment deployment, List<ManifestEntry> files, EventDraft event) {
        return writes().insertStaged(deployment, files, event);
    }

    @Override
    public SiteEvent markStaged(String deploymentId, Instant at, EventDraft event) {
        return writes().markStaged(deploymentId, at, event);
    }

    @Override
    public SiteEvent activate(String site, String deploymentId, EventDraft event) {
        return writes().activate(site, deploymentId, event);
    }

    @Override
    public SiteDeletion deleteSite(String site, EventDraft event) {
        return writes().deleteSite(site, event);
    }

    @Override
    public SiteEvent retire(String site, String deploymentId, EventDraft event) {
        return writes().retire(site, deploymentId, event);
    }

    @Override
    public void purge(String deploymentId) {
        writes().purge(deploymentId);
    }

    @Override
    public void deleteAbandoned(String deploymentId) {
        writes().deleteAbandoned(deploymentId);
    }

    @Override
    public SiteEvent appendEvent(String site, EventDraft event) {
        return writes().appendEvent(site, event);
    }

    @Override
    public Optional<SiteEvent> appendEventOnce(String site, String delivery, Instant expiresAt, Instant now,
                                               EventDraft event) {
        return writes().appendEventOnce(site, delivery, expiresAt, now, event);
    }

    @Override
    public void setNotified(String site, long seq, int notified) {
        writes().setNotified(site, seq, notified);
    }
}
