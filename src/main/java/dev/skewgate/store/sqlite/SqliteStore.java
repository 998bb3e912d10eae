package dev.skewgate.store.sqlite;

import dev.skewgate.model.Backend;
import dev.skewgate.model.BackendFile;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.ConflictException;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EnvEntries;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.NotFoundException;
import dev.skewgate.model.PreconditionFailedException;
import dev.skewgate.model.ResponseSettings;
import dev.skewgate.model.Retention;
import dev.skewgate.model.RuntimeConfig;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.store.ColumnJson;
import dev.skewgate.store.DiskSpace;
import dev.skewgate.store.FilePermissions;
import dev.skewgate.store.SecretBox;
import dev.skewgate.store.SqlRows;
import dev.skewgate.store.Store;
import dev.skewgate.store.StoreInfo;
import dev.skewgate.store.StoreFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded store: one SQLite file in WAL mode with synchronous=FULL (a commit survives power loss), schema by
 * Flyway. SQLite has one writer, so the store holds one connection and serializes every call on it.
 */
public final class SqliteStore implements Store {

    private static final String DEPLOYMENT_COLUMNS = "id, site, state, created_at, finalized_at, activated_at, "
            + "demoted_at, retired_at, message, git_sha, author, file_count, total_bytes, promoted_from, backend";

    private final Connection db;
    private final Path dataDir;
    private final SecretBox secrets;

    /** Greater than zero while {@link #transaction} runs: the store's own methods then join its transaction. */
    private int transactionDepth;

    private SqliteStore(Connection db, Path dataDir, SecretBox secrets) {
        this.db = db;
        this.dataDir = dataDir;
        this.secrets = secrets;
    }

    /**
     * Opens (creating if needed) the database file and brings its schema up to date. The file and its -wal and -shm
     * companions are made owner-only (SQLite creates the companions with the database's mode), and webhook secrets
     * are encrypted under the data directory's key file; plaintext ones from older versions are encrypted now.
     */
    public static SqliteStore open(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            if (!Files.exists(file)) {
                Files.createFile(file, FilePermissions.OWNER_ONLY_FILE); // an empty file is a new SQLite database
            }
            restrictFiles(file);
        } catch (IOException e) {
            throw new StoreFailure("cannot create " + file + " with owner-only permissions: " + e.getMessage(), e);
        }
        SecretBox box = SecretBox.loadOrCreate(dir);
        NativeLibrary.load(dir);
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.enforceForeignKeys(true);
        config.setBusyTimeout(10_000);
        SQLiteDataSource source = new SQLiteDataSource(config);
        source.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        if (!schemaIsCurrent(source)) {
            Flyway.configure().dataSource(source).locations("classpath:" + MIGRATIONS).load().migrate();
        }
        try {
            Connection connection = source.getConnection();
            connection.setAutoCommit(true);
            restrictFiles(file);
            SqliteStore store = new SqliteStore(connection, dir, box);
            store.sealPlaintextSecrets();
            return store;
        } catch (SQLException e) {
            throw new StoreFailure("cannot open " + file, e);
        } catch (IOException e) {
            throw new StoreFailure("cannot make " + file + " owner-only: " + e.getMessage(), e);
        }
    }

    /** Where the migrations are, {@code V<n>__<what>.sql}. */
    static final String MIGRATIONS = "db/migration";
    /** The newest migration's version: SqliteStoreTest checks it against the files. */
    static final int SCHEMA_VERSION = 8;

    /**
     * Whether every migration up to {@link #SCHEMA_VERSION} has been applied and none failed: then Flyway, whose
     * start (class loading, scanning the jar for migrations) took 0.4-2 s of a gateway's start on this project's
     * machines (bench/startup.sh), is not needed. Anything else (a new file, an older schema, a failed migration, no
     * history) goes through Flyway, which applies, validates or reports it.
     */
    private static boolean schemaIsCurrent(SQLiteDataSource source) {
        try (Connection c = source.getConnection(); java.sql.Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT max(CAST(version AS INTEGER)), sum(success = 0), count(*) "
                     + "FROM flyway_schema_history WHERE version IS NOT NULL")) {
            return rs.next() && rs.getInt(1) == SCHEMA_VERSION && rs.getInt(2) == 0 && rs.getInt(3) == SCHEMA_VERSION;
        } catch (SQLException e) {
            return false; // no history table: a new database
        }
    }

    private static void restrictFiles(Path file) throws IOException {
        for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
            FilePermissions.restrict(file.resolveSibling(file.getFileName() + suffix), FilePermissions.FILE);
        }
    }

    /** Webhook secrets stored in plaintext by an older version are encrypted in place (no revision, no event). */
    private synchronized void sealPlaintextSecrets() {
        inTransaction(() -> {
            Map<String, List<String>> plain = new java.util.LinkedHashMap<>();
            try (PreparedStatement st = db.prepareStatement("SELECT name, webhook_secrets FROM sites");
                 ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    List<String> stored = ColumnJson.strings(rs.getString(2));
                    if (stored.stream().anyMatch(v -> !SecretBox.isSealed(v))) {
                        plain.put(rs.getString(1), stored);
                    }
                }
            }
            for (var e : plain.entrySet()) {
                try (PreparedStatement st = db.prepareStatement("UPDATE sites SET webhook_secrets=? WHERE name=?")) {
                    st.setString(1, sealed(e.getValue()));
                    st.setString(2, e.getKey());
                    st.executeUpdate();
                }
            }
            return null;
        });
    }

    /** The webhook secrets as stored: each one encrypted (a sealed one stays as it is). */
    private String sealed(List<String> values) {
        return ColumnJson.text(values.stream().map(v -> SecretBox.isSealed(v) ? v : secrets.seal(v)).toList());
    }

    private List<String> unsealed(String json) {
        return ColumnJson.strings(json).stream().map(secrets::open).toList();
    }

    @Override
    public synchronized SiteEvent createSite(Site site, EventDraft event) {
        return inTransaction(() -> {
            if (site(site.name()).isPresent()) {
                throw new ConflictException("SITE_EXISTS", "site '" + site.name() + "' already exists");
            }
            boolean deleted = SqlRows.deletedSiteExists(db, site.name());
            // A deleted row stays for the audit log (events carry on numbering) and is revived; its revision only
            // grows, so a stale If-Match from before the deletion cannot match the revived site.
            String statement = deleted
                    ? "UPDATE sites SET name=?, api_prefixes=?, spa=?, entry_point=?, skew_window_ms=?, keep_previous=?, "
                    + "purge_after_ms=?, header_rules=?, inject_sdk=?, update_strategy=?, poll_interval_ms=?, api_origins=?, "
                    + "config_alias=?, active_deployment=?, revision=revision+?, created_at=?, config=?, config_revision=?, "
                    + "webhook_secrets=?, default_backend=?, checks=?, backend_defaults=?, responses=?, deleted_at=NULL WHERE name=?"
                    : "INSERT INTO sites (name, api_prefixes, spa, entry_point, "
                    + "skew_window_ms, keep_previous, purge_after_ms, header_rules, inject_sdk, update_strategy, "
                    + "poll_interval_ms, api_origins, config_alias, active_deployment, revision, created_at, config, "
                    + "config_revision, webhook_secrets, default_backend, checks, backend_defaults, responses) "
                    + "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
            try (PreparedStatement st = db.prepareStatement(statement)) {
                if (deleted) {
                    st.setString(24, site.name());
                }
                st.setString(1, site.name());
                bindSettings(st, 2, site);
                st.setString(14, site.activeDeployment().orElse(null));
                st.setLong(15, site.revision());
                st.setLong(16, site.createdAt().toEpochMilli());
                st.setString(17, site.config().json());
                st.setLong(18, site.config().revision());
                st.setString(19, sealed(site.webhookSecrets()));
                st.setString(20, site.defaultBackend().map(ColumnJson::write).orElse(null));
                st.setString(21, ColumnJson.checks(site.checks()));
                st.setString(22, ColumnJson.write(site.backendDefaults()));
                st.setString(23, ColumnJson.responses(site.responses()));
                st.executeUpdate();
            }
            insertHosts(site);
            return insertEvent(site.name(), event);
        });
    }

    @Override
    public synchronized Site updateSite(Site site, long expectedRevision, EventDraft event) {
        return inTransaction(() -> {
            try (PreparedStatement st = db.prepareStatement("UPDATE sites SET api_prefixes=?, spa=?, entry_point=?, "
                    + "skew_window_ms=?, keep_previous=?, purge_after_ms=?, header_rules=?, inject_sdk=?, "
                    + "update_strategy=?, poll_interval_ms=?, api_origins=?, config_alias=?, default_backend=?, checks=?, "
                    + "backend_defaults=?, responses=?, revision=revision+1 WHERE name=? AND revision=?")) {
                bindSettings(st, 1, site);
                st.setString(13, site.defaultBackend().map(ColumnJson::write).orElse(null));
                st.setString(14, ColumnJson.checks(site.checks()));
                st.setString(15, ColumnJson.write(site.backendDefaults()));
                st.setString(16, ColumnJson.responses(site.responses()));
                st.setString(17, site.name());
                st.setLong(18, expectedRevision);
                if (st.executeUpdate() != 1) {
                    Site current = site(site.name()).orElseThrow(() -> siteNotFound(site.name()));
                    throw new PreconditionFailedException("STALE_REVISION", "site '" + site.name() + "' is at revision "
                            + current.revision() + ", not " + expectedRevision + "; re-read it and retry");
                }
            }
            try (PreparedStatement st = db.prepareStatement("DELETE FROM site_hosts WHERE site=?")) {
                st.setString(1, site.name());
                st.executeUpdate();
            }
            insertHosts(site);
            insertEvent(site.name(), event);
            return site(site.name()).orElseThrow();
        });
    }

    @Override
    public synchronized SiteEvent setConfig(String site, String json, EventDraft event) {
        return inTransaction(() -> {
            try (PreparedStatement st = db.prepareStatement("UPDATE sites SET config=?, config_revision=config_revision+1, "
                    + "revision=revision+1 WHERE name=?")) {
                st.setString(1, json);
                st.setString(2, site);
                if (st.executeUpdate() != 1) {
                    throw siteNotFound(site);
                }
            }
            return insertEvent(site, event);
        });
    }

    @Override
    public synchronized EnvEntries env(String site) {
        return query(() -> {
            long revision = envRevision(site);
            Map<String, String> values = new java.util.TreeMap<>();
            try (PreparedStatement st = db.prepareStatement("SELECT name, value FROM site_env WHERE site=?")) {
                st.setString(1, site);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        values.put(rs.getString(1), secrets.open(rs.getString(2)));
                    }
                }
            }
            return new EnvEntries(revision, values);
        });
    }

    /** The env revision of a site that is not deleted; not found otherwise. */
    private long envRevision(String site) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(
                "SELECT env_revision FROM sites WHERE name=? AND deleted_at IS NULL")) {
            st.setString(1, site);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    throw siteNotFound(site);
                }
                return rs.getLong(1);
            }
        }
    }

    @Override
    public synchronized SiteEvent setEnv(String site, Map<String, String> set, Set<String> unset, EventDraft event) {
        return inTransaction(() -> {
            envRevision(site);
            try (PreparedStatement st = db.prepareStatement(
                    "INSERT INTO site_env (site, name, value) VALUES (?,?,?) "
                            + "ON CONFLICT (site, name) DO UPDATE SET value=excluded.value")) {
                for (var e : set.entrySet()) {
                    st.setString(1, site);
                    st.setString(2, e.getKey());
                    st.setString(3, secrets.seal(e.getValue()));
                    st.executeUpdate();
                }
            }
            try (PreparedStatement st = db.prepareStatement("DELETE FROM site_env WHERE site=? AND name=?")) {
                for (String name : unset) {
                    st.setString(1, site);
                    st.setString(2, name);
                    st.executeUpdate();
                }
            }
            try (PreparedStatement st = db.prepareStatement(
                    "UPDATE sites SET env_revision=env_revision+1 WHERE name=?")) {
                st.setString(1, site);
                st.executeUpdate();
            }
            return insertEvent(site, event);
        });
    }

    @Override
    public synchronized void setWebhookSecrets(String site, List<String> values, EventDraft event) {
        inTransaction(() -> {
            try (PreparedStatement st = db.prepareStatement(
                    "UPDATE sites SET webhook_secrets=?, revision=revision+1 WHERE name=?")) {
                st.setString(1, sealed(values));
                st.setString(2, site);
                if (st.executeUpdate() != 1) {
                    throw siteNotFound(site);
                }
            }
            return insertEvent(site, event);
        });
    }

    private void bindSettings(PreparedStatement st, int from, Site site) throws SQLException {
        st.setString(from, ColumnJson.text(site.apiPrefixes()));
        st.setInt(from + 1, site.spa() ? 1 : 0);
        st.setString(from + 2, site.entryPoint());
        st.setLong(from + 3, site.retention().skewWindow().toMillis());
        st.setInt(from + 4, site.retention().keepPrevious());
        st.setLong(from + 5, site.retention().purgeAfter().toMillis());
        st.setString(from + 6, ColumnJson.text(site.headerRules()));
        st.setInt(from + 7, site.client().injectSdk() ? 1 : 0);
        st.setString(from + 8, site.client().strategy());
        st.setLong(from + 9, site.client().pollInterval().toMillis());
        st.setString(from + 10, ColumnJson.text(site.client().apiOrigins()));
        st.setString(from + 11, site.client().configAlias().orElse(null));
    }

    private void insertHosts(Site site) throws SQLException {
        for (int i = 0; i < site.hosts().size(); i++) {
            String host = site.hosts().get(i);
            try (PreparedStatement check = db.prepareStatement("SELECT site FROM site_hosts WHERE host=?")) {
                check.setString(1, host);
                try (ResultSet rs = check.executeQuery()) {
                    if (rs.next()) {
                        throw new ConflictException("HOST_TAKEN",
                                "host '" + host + "' already belongs to site '" + rs.getString(1) + "'");
                    }
                }
            }
            try (PreparedStatement st = db.prepareStatement("INSERT INTO site_hosts (host, site, position) VALUES (?,?,?)")) {
                st.setString(1, host);
                st.setString(2, site.name());
                st.setInt(3, i);
                st.executeUpdate();
            }
        }
    }

    @Override
    public synchronized List<Site> sites() {
        return query(() -> {
            List<Site> out = new ArrayList<>();
            try (PreparedStatement st = db.prepareStatement("SELECT name FROM sites WHERE deleted_at IS NULL ORDER BY name");
                 ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(site(rs.getString(1)).orElseThrow());
                }
            }
            return out;
        });
    }

    @Override
    public synchronized Optional<Site> site(String name) {
        return query(() -> {
            List<String> hosts = new ArrayList<>();
            try (PreparedStatement st = db.prepareStatement("SELECT host FROM site_hosts WHERE site=? ORDER BY position")) {
                st.setString(1, name);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        hosts.add(rs.getString(1));
                    }
                }
            }
            try (PreparedStatement st = db.prepareStatement("SELECT name, api_prefixes, spa, entry_point, skew_window_ms, "
                    + "keep_previous, purge_after_ms, header_rules, active_deployment, revision, created_at, inject_sdk, "
                    + "update_strategy, poll_interval_ms, api_origins, config_alias, config, config_revision, "
                    + "webhook_secrets, default_backend, checks, backend_defaults, responses FROM sites WHERE name=? "
                    + "AND deleted_at IS NULL")) {
                st.setString(1, name);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    return Optional.of(new Site(
                            rs.getString(1),
                            hosts,
                            ColumnJson.strings(rs.getString(2)),
                            rs.getInt(3) == 1,
                            rs.getString(4),
                            new Retention(Duration.ofMillis(rs.getLong(5)), rs.getInt(6), Duration.ofMillis(rs.getLong(7))),
                            ColumnJson.headerRules(rs.getString(8)),
                            new ClientSettings(rs.getInt(12) == 1, rs.getString(13), Duration.ofMillis(rs.getLong(14)),
                                    ColumnJson.strings(rs.getString(15)),
                                    Optional.ofNullable(rs.getString(16))),
                            new RuntimeConfig(rs.getLong(18), rs.getString(17)),
                            unsealed(rs.getString(19)),
                            backend(rs.getString(20)),
                            ColumnJson.checks(rs.getString(21)),
                            ColumnJson.defaults(rs.getString(22)),
                            ColumnJson.responses(rs.getString(23)),
                            Optional.ofNullable(rs.getString(9)),
                            rs.getLong(10),
                            Instant.ofEpochMilli(rs.getLong(11))));
                }
            }
        });
    }

    @Override
    public synchronized void insertDeployment(Deployment d, List<ManifestEntry> files) {
        inTransaction(() -> {
            insertDeploymentRows(d, files);
            return null;
        });
    }

    @Override
    public synchronized void insertDeployment(Deployment d, List<ManifestEntry> files, List<BackendFile> backend,
                                              Map<String, String> env) {
        inTransaction(() -> {
            insertDeploymentRows(d, files);
            SqlRows.insertBackend(db, d.id(), backend, env, secrets);
            return null;
        });
    }

    @Override
    public synchronized List<BackendFile> backendFiles(String deploymentId) {
        return query(() -> SqlRows.backendFiles(db, deploymentId));
    }

    @Override
    public synchronized Map<String, String> deploymentEnv(String deploymentId) {
        return query(() -> SqlRows.deploymentEnv(db, deploymentId, secrets));
    }

    @Override
    public synchronized Optional<Instant> releasedAt(String deploymentId) {
        return query(() -> {
            try (PreparedStatement st = db.prepareStatement("SELECT released_at FROM deployments WHERE id=?")) {
                st.setString(1, deploymentId);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? instant(rs, 1) : Optional.<Instant>empty();
                }
            }
        });
    }

    @Override
    public synchronized void markReleased(String deploymentId, Instant at) {
        inTransaction(() -> {
            try (PreparedStatement st = db.prepareStatement("UPDATE deployments SET released_at=? WHERE id=?")) {
                st.setLong(1, at.toEpochMilli());
                st.setString(2, deploymentId);
                st.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public synchronized SiteEvent insertStaged(Deployment d, List<ManifestEntry> files, EventDraft event) {
        return inTransaction(() -> {
            insertDeploymentRows(d, files);
            if (d.promotedFrom().isPresent()) {
                SqlRows.copyBackend(db, d.promotedFrom().get(), d.id());
            }
            return insertEvent(d.site(), event);
        });
    }

    private void insertDeploymentRows(Deployment d, List<ManifestEntry> files) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("INSERT INTO deployments (" + DEPLOYMENT_COLUMNS
                + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            SqlRows.bindDeployment(st, d, SqliteStore::setInstant);
            st.executeUpdate();
        }
        SqlRows.insertManifest(db, d.id(), files);
    }

    @Override
    public synchronized SiteEvent markStaged(String deploymentId, Instant at, EventDraft event) {
        return inTransaction(() -> {
            try (PreparedStatement st = db.prepareStatement(
                    "UPDATE deployments SET state='staged', finalized_at=? WHERE id=? AND state='uploading'")) {
                st.setLong(1, at.toEpochMilli());
                st.setString(2, deploymentId);
                if (st.executeUpdate() != 1) {
                    throw new ConflictException("NOT_UPLOADING", "deployment " + deploymentId + " is not being uploaded");
                }
            }
            String site;
            try (PreparedStatement st = db.prepareStatement("SELECT site FROM deployments WHERE id=?")) {
                st.setString(1, deploymentId);
                try (ResultSet rs = st.executeQuery()) {
                    rs.next();
                    site = rs.getString(1);
                }
            }
            return insertEvent(site, event);
        });
    }

    @Override
    public synchronized Optional<Deployment> deployment(String id) {
        return query(() -> {
            try (PreparedStatement st = db.prepareStatement(
                    "SELECT " + DEPLOYMENT_COLUMNS + " FROM deployments WHERE id=?")) {
                st.setString(1, id);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? Optional.of(deploymentRow(rs)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public synchronized List<Deployment> deployments(String site) {
        return query(() -> {
            try (PreparedStatement st = db.prepareStatement(
                    "SELECT " + DEPLOYMENT_COLUMNS + " FROM deployments WHERE site=? ORDER BY id DESC")) {
                st.setString(1, site);
                return deploymentRows(st);
            }
        });
    }

    @Override
    public synchronized List<Deployment> deploymentsInStates(Set<DeploymentState> states) {
        return query(() -> {
            String in = states.stream().map(s -> "'" + s.wire() + "'").collect(Collectors.joining(","));
            try (PreparedStatement st = db.prepareStatement(
                    "SELECT " + DEPLOYMENT_COLUMNS + " FROM deployments WHERE state IN (" + in + ") ORDER BY id DESC")) {
                return deploymentRows(st);
            }
        });
    }

    private static List<Deployment> deploymentRows(PreparedStatement st) throws SQLException {
        List<Deployment> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                out.add(deploymentRow(rs));
            }
        }
        return out;
    }

    private static Deployment deploymentRow(ResultSet rs) throws SQLException {
        return new Deployment(
                rs.getString(1), rs.getString(2), DeploymentState.fromWire(rs.getString(3)),
                Instant.ofEpochMilli(rs.getLong(4)), instant(rs, 5), instant(rs, 6), instant(rs, 7), instant(rs, 8),
                rs.getString(9), Optional.ofNullable(rs.getString(10)), rs.getString(11), rs.getInt(12),
                rs.getLong(13), Optional.ofNullable(rs.getString(14)), backend(rs.getString(15)));
    }

    @Override
    public synchronized List<ManifestEntry> files(String deploymentId) {
        return query(() -> SqlRows.manifest(db, deploymentId));
    }

    @Override
    public synchronized SiteEvent activate(String site, String deploymentId, EventDraft event) {
        return inTransaction(() -> {
            Site current = site(site).orElseThrow(() -> siteNotFound(site));
            Optional<String> previous = current.activeDeployment().filter(p -> !p.equals(deploymentId));
            Instant at = event.at();
            long seq = nextSeq(site);
            SqlRows.activate(db, site, deploymentId, previous, at, seq, SqliteStore::setInstant);
            return insertEvent(site, new EventDraft(event.type(), Optional.of(deploymentId), previous, event.actor(), at,
                    event.detail()));
        });
    }

    @Override
    public synchronized Optional<Deployment> rollbackTarget(String site) {
        return query(() -> {
            try (PreparedStatement st = db.prepareStatement("SELECT " + DEPLOYMENT_COLUMNS + " FROM deployments "
                    + "WHERE site=? AND state='previous' ORDER BY demoted_seq DESC, demoted_at DESC LIMIT 1")) {
                st.setString(1, site);
                return deploymentRows(st).stream().findFirst();
            }
        });
    }

    @Override
    public synchronized SiteEvent retire(String site, String deploymentId, EventDraft event) {
        return inTransaction(() -> {
            SqlRows.retire(db, site, deploymentId, event.at(), SqliteStore::setInstant);
            return insertEvent(site, event);
        });
    }

    @Override
    public synchronized SiteDeletion deleteSite(String site, EventDraft event) {
        return inTransaction(() -> {
            if (site(site).isEmpty()) {
                throw siteNotFound(site);
            }
            List<String> retired = new ArrayList<>();
            try (PreparedStatement st = db.prepareStatement("SELECT id FROM deployments WHERE site=? "
                    + "AND state IN ('uploading','staged','active','previous') ORDER BY id")) {
                st.setString(1, site);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        retired.add(rs.getString(1));
                    }
                }
            }
            try (PreparedStatement st = db.prepareStatement("UPDATE deployments SET state='retired', retired_at=? "
                    + "WHERE site=? AND state IN ('uploading','staged','active','previous')")) {
                st.setLong(1, event.at().toEpochMilli());
                st.setString(2, site);
                st.executeUpdate();
            }
            try (PreparedStatement st = db.prepareStatement("UPDATE sites SET active_deployment=NULL, deleted_at=?, "
                    + "webhook_secrets='[]', revision=revision+1 WHERE name=?")) {
                st.setLong(1, event.at().toEpochMilli());
                st.setString(2, site);
                st.executeUpdate();
            }
            try (PreparedStatement st = db.prepareStatement("DELETE FROM site_hosts WHERE site=?")) {
                st.setString(1, site);
                st.executeUpdate();
            }
            try (PreparedStatement st = db.prepareStatement("DELETE FROM site_env WHERE site=?")) {
                st.setString(1, site); // a deleted site's secrets are not kept for a revival to inherit
                st.executeUpdate();
            }
            List<SiteEvent> retireEvents = new ArrayList<>();
            for (String id : retired) {
                retireEvents.add(insertEvent(site, EventDraft.about("retire", id, event.actor(), event.at(),
                        "the site was deleted")));
            }
            return new SiteDeletion(insertEvent(site, event), List.copyOf(retireEvents));
        });
    }

    @Override
    public synchronized List<String> deletedSites() {
        return query(() -> SqlRows.deletedSites(db));
    }

    @Override
    public synchronized void purge(String deploymentId) {
        inTransaction(() -> {
            SqlRows.deleteContents(db, deploymentId);
            SqlRows.markPurged(db, deploymentId);
            return null;
        });
    }

    @Override
    public synchronized void deleteAbandoned(String deploymentId) {
        inTransaction(() -> {
            SqlRows.deleteContents(db, deploymentId);
            SqlRows.deleteUploading(db, deploymentId);
            return null;
        });
    }

    @Override
    public synchronized Set<String> referencedBlobs() {
        return query(() -> SqlRows.referencedBlobs(db));
    }

    @Override
    public synchronized SiteEvent appendEvent(String site, EventDraft event) {
        return inTransaction(() -> insertEvent(site, event));
    }

    @Override
    public synchronized Optional<SiteEvent> appendEventOnce(String site, String delivery, Instant expiresAt, Instant now,
                                                        EventDraft event) {
        return inTransaction(() -> {
            try (PreparedStatement st = db.prepareStatement("DELETE FROM webhook_deliveries WHERE expires_at < ?")) {
                st.setLong(1, now.getEpochSecond());
                st.executeUpdate();
            }
            try (PreparedStatement st = db.prepareStatement(
                    "INSERT OR IGNORE INTO webhook_deliveries (delivery, expires_at) VALUES (?, ?)")) {
                st.setString(1, delivery);
                st.setLong(2, expiresAt.getEpochSecond());
                if (st.executeUpdate() == 0) {
                    return Optional.<SiteEvent>empty();
                }
            }
            try (PreparedStatement st = db.prepareStatement("DELETE FROM webhook_deliveries WHERE delivery IN "
                    + "(SELECT delivery FROM webhook_deliveries ORDER BY expires_at DESC LIMIT -1 OFFSET ?)")) {
                st.setInt(1, MAX_DELIVERIES);
                st.executeUpdate();
            }
            return Optional.of(insertEvent(site, event));
        });
    }

    @Override
    public synchronized void setNotified(String site, long seq, int notified) {
        inTransaction(() -> {
            SqlRows.setNotified(db, site, seq, notified);
            return null;
        });
    }

    private long nextSeq(String site) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE site=?")) {
            st.setString(1, site);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private SiteEvent insertEvent(String site, EventDraft e) throws SQLException {
        long seq = nextSeq(site);
        String type = e.type();
        Optional<String> deployment = e.deployment();
        Optional<String> previous = e.previous();
        String actor = e.actor();
        Instant at = e.at();
        String detail = e.detail();
        try (PreparedStatement st = db.prepareStatement("INSERT INTO events (site, seq, type, deployment, previous, "
                + "actor, at, notified, detail) VALUES (?,?,?,?,?,?,?,0,?)")) {
            st.setString(1, site);
            st.setLong(2, seq);
            st.setString(3, type);
            st.setString(4, deployment.orElse(null));
            st.setString(5, previous.orElse(null));
            st.setString(6, actor);
            st.setLong(7, at.toEpochMilli());
            st.setString(8, detail);
            st.executeUpdate();
        }
        return new SiteEvent(site, seq, type, deployment, previous, actor, at, 0, detail);
    }

    @Override
    public synchronized List<SiteEvent> events(String site, int limit) {
        return query(() -> {
            List<SiteEvent> out = new ArrayList<>();
            try (PreparedStatement st = db.prepareStatement("SELECT site, seq, type, deployment, previous, actor, at, "
                    + "notified, detail FROM events WHERE site=? ORDER BY seq DESC LIMIT ?")) {
                st.setString(1, site);
                st.setInt(2, limit);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.add(new SiteEvent(rs.getString(1), rs.getLong(2), rs.getString(3),
                                Optional.ofNullable(rs.getString(4)), Optional.ofNullable(rs.getString(5)),
                                rs.getString(6), Instant.ofEpochMilli(rs.getLong(7)), rs.getInt(8), rs.getString(9)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public synchronized void ping() {
        query(() -> {
            try (PreparedStatement st = db.prepareStatement("SELECT 1"); ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        });
    }

    @Override
    public synchronized boolean integrityOk() {
        return query(() -> {
            try (PreparedStatement st = db.prepareStatement("PRAGMA integrity_check");
                 ResultSet rs = st.executeQuery()) {
                return rs.next() && "ok".equals(rs.getString(1));
            }
        });
    }

    @Override
    public StoreInfo info() {
        return new StoreInfo("sqlite", dataDir.toString());
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw new StoreFailure("closing the database failed", e);
        }
    }

    @Override
    public synchronized <T> T transaction(java.util.function.Supplier<T> work) {
        if (transactionDepth > 0) {
            return work.get();
        }
        return inTransaction(() -> {
            transactionDepth++;
            try {
                return work.get();
            } finally {
                transactionDepth--;
            }
        });
    }

    private interface Work<T> {
        T run() throws SQLException;
    }

    private <T> T query(Work<T> work) {
        try {
            return work.run();
        } catch (SQLException e) {
            throw failure("database read", e);
        }
    }

    /**
     * Runs the work in one transaction. When the commit fails (a full disk: SQLITE_FULL), SQLite may already have
     * rolled back, so the cleanup's own errors ("no transaction is active") are attached to the real cause, never
     * thrown instead of it, and the connection is left in auto-commit for the next call.
     */
    private <T> T inTransaction(Work<T> work) {
        if (transactionDepth > 0) {
            // Inside transaction(...): the caller's transaction commits or rolls back the whole change.
            try {
                return work.run();
            } catch (SQLException e) {
                throw failure("database write", e);
            }
        }
        try {
            db.setAutoCommit(false);
        } catch (SQLException e) {
            throw failure("database write", e);
        }
        try {
            return SqlRows.commitOrRollback(db, () -> work.run(), sql -> failure("database write", sql));
        } finally {
            restoreAutoCommit();
        }
    }

    private void restoreAutoCommit() {
        try {
            db.setAutoCommit(true);
        } catch (SQLException e) {
            // setAutoCommit(true) commits, which fails when SQLite already ended the transaction; roll back what
            // may be left and try once more, so the next call does not run inside a stale transaction.
            try {
                db.rollback();
                db.setAutoCommit(true);
            } catch (SQLException again) {
                org.slf4j.LoggerFactory.getLogger(SqliteStore.class).warn("could not restore auto-commit: {}",
                        again.toString());
            }
        }
    }

    private RuntimeException failure(String what, SQLException e) {
        if (e instanceof org.sqlite.SQLiteException s && s.getResultCode() == org.sqlite.SQLiteErrorCode.SQLITE_FULL
                || DiskSpace.isFull(e)) {
            return DiskSpace.full(dataDir, what, e);
        }
        return new StoreFailure(what + " failed: " + e.getMessage(), e);
    }

    private static Optional<Backend> backend(String json) {
        return ColumnJson.backend(json);
    }

    private static NotFoundException siteNotFound(String site) {
        return new NotFoundException("SITE_NOT_FOUND", "no site named '" + site + "'");
    }

    private static void setInstant(PreparedStatement st, int index, Optional<Instant> value) throws SQLException {
        if (value.isPresent()) {
            st.setLong(index, value.get().toEpochMilli());
        } else {
            st.setNull(index, Types.BIGINT);
        }
    }

    private static Optional<Instant> instant(ResultSet rs, int index) throws SQLException {
        long v = rs.getLong(index);
        return rs.wasNull() ? Optional.empty() : Optional.of(Instant.ofEpochMilli(v));
    }
}
