package dev.skewgate.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.skewgate.model.BackendFile;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.ConflictException;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EnvEntries;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.InsufficientStorageException;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.NotFoundException;
import dev.skewgate.model.PreconditionFailedException;
import dev.skewgate.model.Retention;
import dev.skewgate.model.RuntimeConfig;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.store.ColumnJson;
import dev.skewgate.store.SecretBox;
import dev.skewgate.store.SqlRows;
import dev.skewgate.store.Store;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.store.StoreInfo;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The store on PostgreSQL, for several nodes sharing one database: the same tables and semantics as
 * {@code SqliteStore}, schema by Flyway from {@code db/migration-postgresql}, connections from a small HikariCP pool.
 *
 * <p>Each write is one transaction that first takes its site's transaction-scoped advisory lock, so changes to one
 * site are serialized across every node (and the per-site event number, MAX(seq)+1, never repeats); other sites and
 * every read go on meanwhile (MVCC), reads of several tables in one statement so they see one commit. A
 * {@link #transaction} binds its connection to the calling thread, and the store's own calls on that thread join it.
 */
public final class PostgresStore implements Store {

    /** First key of every advisory lock this store takes, so other users of the database never collide with it. */
    static final int SITE_LOCK_CLASS = 0x536b6700; // "Skg\0"
    private static final String KEY_CHECK = "secret-key-check";
    private static final String ADMIN_TOKEN = "admin-token";
    private static final String DEPLOYMENT_COLUMNS = "id, site, state, created_at, finalized_at, activated_at, "
            + "demoted_at, retired_at, message, git_sha, author, file_count, total_bytes, promoted_from, backend";
    private static final String SITE_COLUMNS = "name, api_prefixes, spa, entry_point, skew_window_ms, keep_previous, "
            + "purge_after_ms, header_rules, active_deployment, revision, created_at, inject_sdk, update_strategy, "
            + "poll_interval_ms, api_origins, config_alias, config, config_revision, webhook_secrets, default_backend, "
            + "checks, backend_defaults, responses, ARRAY(SELECT h.host FROM site_hosts h WHERE h.site=sites.name ORDER BY h.position)";

    private final HikariDataSource pool;
    private final SecretBox secrets;
    private final String where;
    /** The unpooled source the pool draws from: the blob store's own pool draws from it too. */
    private final PGSimpleDataSource direct;
    private final PostgresUrl url;
    private final Path dataDir;
    private volatile boolean connected;

    /** The connection of the {@link #transaction} the calling thread runs, if it runs one. */
    private final ThreadLocal<Connection> current = new ThreadLocal<>();
    /** This process's name in the change notices it sends, so its own feed can skip them. */
    private final String node = java.util.UUID.randomUUID().toString();

    private PostgresStore(HikariDataSource pool, SecretBox secrets, PostgresUrl url, PGSimpleDataSource direct,
                          Path dataDir) {
        this.direct = direct;
        this.pool = pool;
        this.secrets = secrets;
        this.url = url;
        this.where = url.where();
        this.dataDir = dataDir;
    }

    /**
     * Connects to {@code url} ({@code postgresql://user:password@host:port/database}, or {@code jdbc:postgresql://...})
     * and brings the schema up to date. Secrets are sealed under {@code dataDir}'s {@code secret-key}, as SQLite's are;
     * every node of one database needs the same key file, and a different one is refused here. A URL that is wrong
     * or a database that cannot be reached is an {@link IllegalArgumentException} or a {@link StoreFailure} whose
     * message names the host and database but never the password.
     */
    public static PostgresStore open(String url, Path dataDir) {
        PostgresStore store = unconnected(url, dataDir);
        try {
            store.connect();
            return store;
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * The store of {@code url} without asking the database anything yet (a malformed URL is still refused here):
     * {@link #connect} later, once it answers. Until then every call fails as with a lost connection. A node that
     * starts while the database is away serves from its last-known-good copy meanwhile ({@link StandbyStore}).
     */
    public static PostgresStore unconnected(String url, Path dataDir) {
        PostgresUrl parsed = PostgresUrl.parse(url);
        PGSimpleDataSource direct = new PGSimpleDataSource();
        direct.setUrl(parsed.jdbcUrl());
        parsed.user().ifPresent(direct::setUser);
        parsed.password().ifPresent(direct::setPassword);
        direct.setConnectTimeout(5);
        direct.setApplicationName("skewgate");
        // A failed statement aborts a PostgreSQL transaction but not an SQLite one: a savepoint around each
        // statement keeps a transaction usable after a refused statement, as SQLite's is.
        direct.setAutosave(org.postgresql.jdbc.AutoSave.ALWAYS);
        HikariConfig config = new HikariConfig();
        config.setDataSource(direct);
        config.setPoolName("skewgate-store");
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(5_000);
        config.setInitializationFailTimeout(-1); // connecting is connect()'s job, with its own clear error
        // A site's lock held by a stuck node fails a write after 10 s (SQLite's busy timeout) instead of hanging it.
        config.setConnectionInitSql("SET lock_timeout = '10s'");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreFailure("cannot open a connection pool to PostgreSQL at " + parsed.where() + ": "
                    + e.getMessage(), e);
        }
        try {
            return new PostgresStore(pool, SecretBox.loadOrCreate(dataDir), parsed, direct, dataDir);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Reaches the database, brings its schema up to date and checks the secret key; a {@link StoreFailure} saying why
     * when it cannot (the store stays unconnected and this may be called again). Once it succeeded, it does nothing.
     */
    public synchronized void connect() {
        if (connected) {
            return;
        }
        try (Connection probe = direct.getConnection()) {
            probe.isValid(5);
        } catch (SQLException e) {
            throw unreachable(url, e);
        }
        try {
            Flyway.configure().dataSource(pool).locations("classpath:db/migration-postgresql").load().migrate();
        } catch (FlywayException e) {
            throw new StoreFailure("cannot bring the schema of PostgreSQL database " + where + " up to date: "
                    + e.getMessage(), e);
        }
        checkSecretKey(dataDir);
        connected = true;
    }

    /** Whether {@link #connect} succeeded (the database may have gone away since). */
    public boolean connected() {
        return connected;
    }

    private static StoreFailure unreachable(PostgresUrl url, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String why;
        if (state.equals("28P01") || state.equals("28000")) {
            why = "it refused the login" + url.user().map(u -> " of user '" + u + "'").orElse("")
                    + " (wrong user or password, or no pg_hba.conf entry for it)";
        } else if (state.equals("3D000")) {
            why = "it has no database of that name (create it first: createdb, or CREATE DATABASE)";
        } else if (hasCause(e, UnknownHostException.class)) {
            why = "the host name does not resolve";
        } else if (hasCause(e, ConnectException.class)) {
            why = "nothing accepts connections there (is PostgreSQL running, and listening on that address?)";
        } else if (hasCause(e, SocketTimeoutException.class)) {
            why = "it did not answer within 5 s";
        } else {
            why = "SQLSTATE " + state + " " + firstLine(e.getMessage());
        }
        return new StoreFailure("cannot connect to PostgreSQL at " + url.where() + ": " + why, e);
    }

    /**
     * Whether a failure to {@link #connect} means the database cannot be reached now (nothing listening, no answer,
     * the name does not resolve, the server starting or stopping), as opposed to a database that answers and refuses
     * (login, no such database, another secret key, a schema it cannot migrate).
     */
    public static boolean cannotReach(Throwable failure) {
        for (Throwable c = failure; c != null; c = c.getCause()) {
            if (c instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().equals("57P03"))) {
                return true;
            }
        }
        return hasCause(failure, ConnectException.class) || hasCause(failure, SocketTimeoutException.class)
                || hasCause(failure, UnknownHostException.class);
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    /**
     * The admin token every node on this database accepts: {@code proposed} if no node stored one yet, else the stored
     * one (kept sealed in {@code store_meta}, like the webhook secrets).
     */
    public String sharedAdminToken(String proposed) {
        return inTransaction(db -> secrets.open(firstSealed(db, ADMIN_TOKEN, proposed)));
    }

    /** Seals a known value with the first key that opens the database; refuses a node whose key differs. */
    private void checkSecretKey(Path dataDir) {
        inTransaction(db -> {
            String check;
            try {
                check = secrets.open(firstSealed(db, KEY_CHECK, KEY_CHECK));
            } catch (StoreFailure e) {
                check = "";
            }
            if (!check.equals(KEY_CHECK)) {
                throw new StoreFailure("the secrets in PostgreSQL database " + where + " are sealed with "
                        + "another key than " + dataDir.resolve(SecretBox.KEY_FILE) + ": copy the "
                        + SecretBox.KEY_FILE + " file of the first node to every node", null);
            }
            return null;
        });
    }

    /** The sealed {@code store_meta} value of {@code name}: the first node's, {@code value} sealed if none yet. */
    private String firstSealed(Connection db, String name, String value) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(
                "INSERT INTO store_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
            st.setString(1, name);
            st.setString(2, secrets.seal(value));
            st.executeUpdate();
        }
        try (PreparedStatement st = db.prepareStatement("SELECT value FROM store_meta WHERE name=?")) {
            st.setString(1, name);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    private String sealed(List<String> values) {
        return ColumnJson.text(values.stream().map(v -> SecretBox.isSealed(v) ? v : secrets.seal(v)).toList());
    }

    private List<String> unsealed(String json) {
        return ColumnJson.strings(json).stream().map(secrets::open).toList();
    }

    /**
     * Takes the site's advisory lock until this transaction ends (the one order of changes to a site) and announces
     * the change to the other nodes ({@link ChangeFeed}): every change of a site takes this lock inside its own
     * transaction, so the notice is sent exactly when the change commits and never for one rolled back.
     */
    private void lockSite(Connection db, String site) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("SELECT pg_advisory_xact_lock(?, hashtext(?)), "
                + "pg_notify(?, ?)")) {
            st.setInt(1, SITE_LOCK_CLASS);
            st.setString(2, site);
            st.setString(3, ChangeFeed.CHANNEL);
            st.setString(4, ChangeFeed.payload(node, site));
            st.executeQuery().close();
        }
    }

    @Override
    public SiteEvent createSite(Site site, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site.name());
            if (readSite(db, site.name()).isPresent()) {
                throw new ConflictException("SITE_EXISTS", "site '" + site.name() + "' already exists");
            }
            boolean deleted = SqlRows.deletedSiteExists(db, site.name());
            // A deleted row stays for the audit log (events carry on numbering) and is revived; its revision only
            // grows, so a stale If-Match from before the deletion cannot match the revived site.
            String statement = deleted
                    ? "UPDATE sites SET name=?, api_prefixes=?::json, spa=?, entry_point=?, skew_window_ms=?, "
                    + "keep_previous=?, purge_after_ms=?, header_rules=?::json, inject_sdk=?, update_strategy=?, "
                    + "poll_interval_ms=?, api_origins=?::json, config_alias=?, active_deployment=?, revision=revision+?, "
                    + "created_at=?, config=?::json, config_revision=?, webhook_secrets=?::json, default_backend=?::json, "
                    + "checks=?::json, backend_defaults=?::json, responses=?::json, deleted_at=NULL WHERE name=?"
                    : "INSERT INTO sites (name, api_prefixes, spa, entry_point, "
                    + "skew_window_ms, keep_previous, purge_after_ms, header_rules, inject_sdk, update_strategy, "
                    + "poll_interval_ms, api_origins, config_alias, active_deployment, revision, created_at, config, "
                    + "config_revision, webhook_secrets, default_backend, checks, backend_defaults, responses) "
                    + "VALUES (?,?::json,?,?,?,?,?,?::json,?,?,?,?::json,?,?,?,?,?::json,?,?::json,?::json,?::json,?::json,"
                    + "?::json)";
            try (PreparedStatement st = db.prepareStatement(statement)) {
                if (deleted) {
                    st.setString(24, site.name());
                }
                st.setString(1, site.name());
                bindSettings(st, 2, site);
                st.setString(14, site.activeDeployment().orElse(null));
                st.setLong(15, site.revision());
                st.setObject(16, ts(site.createdAt()));
                st.setString(17, site.config().json());
                st.setLong(18, site.config().revision());
                st.setString(19, sealed(site.webhookSecrets()));
                st.setString(20, site.defaultBackend().map(ColumnJson::write).orElse(null));
                st.setString(21, ColumnJson.checks(site.checks()));
                st.setString(22, ColumnJson.write(site.backendDefaults()));
                st.setString(23, ColumnJson.responses(site.responses()));
                st.executeUpdate();
            }
            insertHosts(db, site);
            return insertEvent(db, site.name(), event);
        });
    }

    @Override
    public Site updateSite(Site site, long expectedRevision, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site.name());
            try (PreparedStatement st = db.prepareStatement("UPDATE sites SET api_prefixes=?::json, spa=?, "
                    + "entry_point=?, skew_window_ms=?, keep_previous=?, purge_after_ms=?, header_rules=?::json, "
                    + "inject_sdk=?, update_strategy=?, poll_interval_ms=?, api_origins=?::json, config_alias=?, "
                    + "default_backend=?::json, checks=?::json, backend_defaults=?::json, responses=?::json, "
                    + "revision=revision+1 "
                    + "WHERE name=? AND revision=? AND deleted_at IS NULL")) {
                bindSettings(st, 1, site);
                st.setString(13, site.defaultBackend().map(ColumnJson::write).orElse(null));
                st.setString(14, ColumnJson.checks(site.checks()));
                st.setString(15, ColumnJson.write(site.backendDefaults()));
                st.setString(16, ColumnJson.responses(site.responses()));
                st.setString(17, site.name());
                st.setLong(18, expectedRevision);
                if (st.executeUpdate() != 1) {
                    Site current = readSite(db, site.name()).orElseThrow(() -> siteNotFound(site.name()));
                    throw new PreconditionFailedException("STALE_REVISION", "site '" + site.name() + "' is at revision "
                            + current.revision() + ", not " + expectedRevision + "; re-read it and retry");
                }
            }
            try (PreparedStatement st = db.prepareStatement("DELETE FROM site_hosts WHERE site=?")) {
                st.setString(1, site.name());
                st.executeUpdate();
            }
            insertHosts(db, site);
            insertEvent(db, site.name(), event);
            return readSite(db, site.name()).orElseThrow();
        });
    }

    @Override
    public SiteEvent setConfig(String site, String json, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site);
            try (PreparedStatement st = db.prepareStatement("UPDATE sites SET config=?::json, "
                    + "config_revision=config_revision+1, revision=revision+1 WHERE name=?")) {
                st.setString(1, json);
                st.setString(2, site);
                if (st.executeUpdate() != 1) {
                    throw siteNotFound(site);
                }
            }
            return insertEvent(db, site, event);
        });
    }

    @Override
    public EnvEntries env(String site) {
        return query(db -> {
            // One statement, so the revision and the values are of the same commit.
            try (PreparedStatement st = db.prepareStatement("SELECT s.env_revision, e.name, e.value FROM sites s "
                    + "LEFT JOIN site_env e ON e.site=s.name WHERE s.name=? AND s.deleted_at IS NULL")) {
                st.setString(1, site);
                try (ResultSet rs = st.executeQuery()) {
                    if (!rs.next()) {
                        throw siteNotFound(site);
                    }
                    long revision = rs.getLong(1);
                    Map<String, String> values = new TreeMap<>();
                    do {
                        if (rs.getString(2) != null) {
                            values.put(rs.getString(2), secrets.open(rs.getString(3)));
                        }
                    } while (rs.next());
                    return new EnvEntries(revision, values);
                }
            }
        });
    }

    @Override
    public SiteEvent setEnv(String site, Map<String, String> set, Set<String> unset, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site);
            try (PreparedStatement st = db.prepareStatement(
                    "UPDATE sites SET env_revision=env_revision+1 WHERE name=? AND deleted_at IS NULL")) {
                st.setString(1, site);
                if (st.executeUpdate() != 1) {
                    throw siteNotFound(site);
                }
            }
            try (PreparedStatement st = db.prepareStatement("INSERT INTO site_env (site, name, value) VALUES (?,?,?) "
                    + "ON CONFLICT (site, name) DO UPDATE SET value=excluded.value")) {
                for (var e : set.entrySet()) {
                    st.setString(1, site);
                    st.setString(2, e.getKey());
                    st.setString(3, secrets.seal(e.getValue()));
                    st.addBatch();
                }
                st.executeBatch();
            }
            try (PreparedStatement st = db.prepareStatement("DELETE FROM site_env WHERE site=? AND name=?")) {
                for (String name : unset) {
                    st.setString(1, site);
                    st.setString(2, name);
                    st.addBatch();
                }
                st.executeBatch();
            }
            return insertEvent(db, site, event);
        });
    }

    @Override
    public void setWebhookSecrets(String site, List<String> values, EventDraft event) {
        inTransaction(db -> {
            lockSite(db, site);
            try (PreparedStatement st = db.prepareStatement(
                    "UPDATE sites SET webhook_secrets=?::json, revision=revision+1 WHERE name=?")) {
                st.setString(1, sealed(values));
                st.setString(2, site);
                if (st.executeUpdate() != 1) {
                    throw siteNotFound(site);
                }
            }
            return insertEvent(db, site, event);
        });
    }

    private static void bindSettings(PreparedStatement st, int from, Site site) throws SQLException {
        st.setString(from, ColumnJson.text(site.apiPrefixes()));
        st.setBoolean(from + 1, site.spa());
        st.setString(from + 2, site.entryPoint());
        st.setLong(from + 3, site.retention().skewWindow().toMillis());
        st.setInt(from + 4, site.retention().keepPrevious());
        st.setLong(from + 5, site.retention().purgeAfter().toMillis());
        st.setString(from + 6, ColumnJson.text(site.headerRules()));
        st.setBoolean(from + 7, site.client().injectSdk());
        st.setString(from + 8, site.client().strategy());
        st.setLong(from + 9, site.client().pollInterval().toMillis());
        st.setString(from + 10, ColumnJson.text(site.client().apiOrigins()));
        st.setString(from + 11, site.client().configAlias().orElse(null));
    }

    private static void insertHosts(Connection db, Site site) throws SQLException {
        for (int i = 0; i < site.hosts().size(); i++) {
            String host = site.hosts().get(i);
            try (PreparedStatement check = db.prepareStatement("SELECT site FROM site_hosts WHERE host=?")) {
                check.setString(1, host);
                try (ResultSet rs = check.executeQuery()) {
                    if (rs.next()) {
                        throw hostTaken(host, rs.getString(1));
                    }
                }
            }
            try (PreparedStatement st = db.prepareStatement("INSERT INTO site_hosts (host, site, position) VALUES (?,?,?)")) {
                st.setString(1, host);
                st.setString(2, site.name());
                st.setInt(3, i);
                st.executeUpdate();
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    // Another node's site took it between the check and the insert (each holds only its own lock).
                    throw hostTaken(host, "another site");
                }
                throw e;
            }
        }
    }

    private static ConflictException hostTaken(String host, String owner) {
        return new ConflictException("HOST_TAKEN", "host '" + host + "' already belongs to site '" + owner + "'");
    }

    @Override
    public List<Site> sites() {
        return query(db -> {
            List<Site> out = new ArrayList<>();
            try (PreparedStatement st = db.prepareStatement(
                    "SELECT " + SITE_COLUMNS + " FROM sites WHERE deleted_at IS NULL ORDER BY name");
                 ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(siteRow(rs));
                }
            }
            return out;
        });
    }

    @Override
    public Optional<Site> site(String name) {
        return query(db -> readSite(db, name));
    }

    private Optional<Site> readSite(Connection db, String name) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(
                "SELECT " + SITE_COLUMNS + " FROM sites WHERE name=? AND deleted_at IS NULL")) {
            st.setString(1, name);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.of(siteRow(rs)) : Optional.empty();
            }
        }
    }

    private Site siteRow(ResultSet rs) throws SQLException {
        return new Site(
                rs.getString(1),
                Arrays.asList((String[]) rs.getArray(24).getArray()),
                ColumnJson.strings(rs.getString(2)),
                rs.getBoolean(3),
                rs.getString(4),
                new Retention(Duration.ofMillis(rs.getLong(5)), rs.getInt(6), Duration.ofMillis(rs.getLong(7))),
                ColumnJson.headerRules(rs.getString(8)),
                new ClientSettings(rs.getBoolean(12), rs.getString(13), Duration.ofMillis(rs.getLong(14)),
                        ColumnJson.strings(rs.getString(15)), Optional.ofNullable(rs.getString(16))),
                new RuntimeConfig(rs.getLong(18), rs.getString(17)),
                unsealed(rs.getString(19)),
                ColumnJson.backend(rs.getString(20)),
                ColumnJson.checks(rs.getString(21)),
                ColumnJson.defaults(rs.getString(22)),
                ColumnJson.responses(rs.getString(23)),
                Optional.ofNullable(rs.getString(9)),
                rs.getLong(10),
                instant(rs, 11).orElseThrow());
    }

    @Override
    public void insertDeployment(Deployment d, List<ManifestEntry> files) {
        inTransaction(db -> {
            insertDeploymentRows(db, d, files);
            return null;
        });
    }

    @Override
    public void insertDeployment(Deployment d, List<ManifestEntry> files, List<BackendFile> backend,
                                 Map<String, String> env) {
        inTransaction(db -> {
            insertDeploymentRows(db, d, files);
            SqlRows.insertBackend(db, d.id(), backend, env, secrets);
            return null;
        });
    }

    @Override
    public List<BackendFile> backendFiles(String deploymentId) {
        return query(db -> SqlRows.backendFiles(db, deploymentId));
    }

    @Override
    public Map<String, String> deploymentEnv(String deploymentId) {
        return query(db -> SqlRows.deploymentEnv(db, deploymentId, secrets));
    }

    @Override
    public Optional<Instant> releasedAt(String deploymentId) {
        return query(db -> {
            try (PreparedStatement st = db.prepareStatement("SELECT released_at FROM deployments WHERE id=?")) {
                st.setString(1, deploymentId);
                try (ResultSet rs = st.executeQuery()) {
                    return rs.next() ? instant(rs, 1) : Optional.<Instant>empty();
                }
            }
        });
    }

    @Override
    public void markReleased(String deploymentId, Instant at) {
        inTransaction(db -> {
            try (PreparedStatement st = db.prepareStatement("UPDATE deployments SET released_at=? WHERE id=?")) {
                st.setObject(1, ts(at));
                st.setString(2, deploymentId);
                st.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public SiteEvent insertStaged(Deployment d, List<ManifestEntry> files, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, d.site());
            insertDeploymentRows(db, d, files);
            if (d.promotedFrom().isPresent()) {
                SqlRows.copyBackend(db, d.promotedFrom().get(), d.id());
            }
            return insertEvent(db, d.site(), event);
        });
    }

    private static void insertDeploymentRows(Connection db, Deployment d, List<ManifestEntry> files)
            throws SQLException {
        try (PreparedStatement st = db.prepareStatement("INSERT INTO deployments (" + DEPLOYMENT_COLUMNS
                + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?::json)")) {
            SqlRows.bindDeployment(st, d, PostgresStore::setInstant);
            st.executeUpdate();
        }
        SqlRows.insertManifest(db, d.id(), files);
    }

    @Override
    public SiteEvent markStaged(String deploymentId, Instant at, EventDraft event) {
        return inTransaction(db -> {
            String site = siteOf(db, deploymentId).orElseThrow(() -> notUploading(deploymentId));
            lockSite(db, site);
            try (PreparedStatement st = db.prepareStatement(
                    "UPDATE deployments SET state='staged', finalized_at=? WHERE id=? AND state='uploading'")) {
                st.setObject(1, ts(at));
                st.setString(2, deploymentId);
                if (st.executeUpdate() != 1) {
                    throw notUploading(deploymentId);
                }
            }
            return insertEvent(db, site, event);
        });
    }

    private static ConflictException notUploading(String deploymentId) {
        return new ConflictException("NOT_UPLOADING", "deployment " + deploymentId + " is not being uploaded");
    }

    private static Optional<String> siteOf(Connection db, String deploymentId) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("SELECT site FROM deployments WHERE id=?")) {
            st.setString(1, deploymentId);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    @Override
    public Optional<Deployment> deployment(String id) {
        return query(db -> {
            try (PreparedStatement st = db.prepareStatement(
                    "SELECT " + DEPLOYMENT_COLUMNS + " FROM deployments WHERE id=?")) {
                st.setString(1, id);
                return deploymentRows(st).stream().findFirst();
            }
        });
    }

    @Override
    public List<Deployment> deployments(String site) {
        return query(db -> {
            try (PreparedStatement st = db.prepareStatement(
                    "SELECT " + DEPLOYMENT_COLUMNS + " FROM deployments WHERE site=? ORDER BY id DESC")) {
                st.setString(1, site);
                return deploymentRows(st);
            }
        });
    }

    @Override
    public List<Deployment> deploymentsInStates(Set<DeploymentState> states) {
        return query(db -> {
            String in = states.stream().map(s -> "'" + s.wire() + "'").collect(Collectors.joining(","));
            if (in.isEmpty()) {
                return List.<Deployment>of();
            }
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
                out.add(new Deployment(
                        rs.getString(1), rs.getString(2), DeploymentState.fromWire(rs.getString(3)),
                        instant(rs, 4).orElseThrow(), instant(rs, 5), instant(rs, 6), instant(rs, 7), instant(rs, 8),
                        rs.getString(9), Optional.ofNullable(rs.getString(10)), rs.getString(11), rs.getInt(12),
                        rs.getLong(13), Optional.ofNullable(rs.getString(14)), ColumnJson.backend(rs.getString(15))));
            }
        }
        return out;
    }

    @Override
    public List<ManifestEntry> files(String deploymentId) {
        return query(db -> SqlRows.manifest(db, deploymentId));
    }

    @Override
    public SiteEvent activate(String site, String deploymentId, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site);
            Site current = readSite(db, site).orElseThrow(() -> siteNotFound(site));
            Optional<String> previous = current.activeDeployment().filter(p -> !p.equals(deploymentId));
            Instant at = event.at();
            long seq = nextSeq(db, site);
            SqlRows.activate(db, site, deploymentId, previous, at, seq, PostgresStore::setInstant);
            return insertEvent(db, site, new EventDraft(event.type(), Optional.of(deploymentId), previous,
                    event.actor(), at, event.detail()));
        });
    }

    @Override
    public Optional<Deployment> rollbackTarget(String site) {
        return query(db -> {
            try (PreparedStatement st = db.prepareStatement("SELECT " + DEPLOYMENT_COLUMNS + " FROM deployments "
                    + "WHERE site=? AND state='previous' ORDER BY demoted_seq DESC NULLS LAST, demoted_at DESC LIMIT 1")) {
                st.setString(1, site);
                return deploymentRows(st).stream().findFirst();
            }
        });
    }

    @Override
    public SiteEvent retire(String site, String deploymentId, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site);
            SqlRows.retire(db, site, deploymentId, event.at(), PostgresStore::setInstant);
            return insertEvent(db, site, event);
        });
    }

    @Override
    public SiteDeletion deleteSite(String site, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site);
            if (readSite(db, site).isEmpty()) {
                throw siteNotFound(site);
            }
            List<String> retired = new ArrayList<>();
            try (PreparedStatement st = db.prepareStatement("UPDATE deployments SET state='retired', retired_at=? "
                    + "WHERE site=? AND state IN ('uploading','staged','active','previous') RETURNING id")) {
                st.setObject(1, ts(event.at()));
                st.setString(2, site);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        retired.add(rs.getString(1));
                    }
                }
            }
            retired.sort(null); // one retire event per deployment, in id order as SQLite gives them
            try (PreparedStatement st = db.prepareStatement("UPDATE sites SET active_deployment=NULL, deleted_at=?, "
                    + "webhook_secrets='[]', revision=revision+1 WHERE name=?")) {
                st.setObject(1, ts(event.at()));
                st.setString(2, site);
                st.executeUpdate();
            }
            for (String table : List.of("site_hosts", "site_env")) {
                // a deleted site's hosts are released, and its secrets are not kept for a revival to inherit
                try (PreparedStatement st = db.prepareStatement("DELETE FROM " + table + " WHERE site=?")) {
                    st.setString(1, site);
                    st.executeUpdate();
                }
            }
            List<SiteEvent> retireEvents = new ArrayList<>();
            for (String id : retired) {
                retireEvents.add(insertEvent(db, site, EventDraft.about("retire", id, event.actor(), event.at(),
                        "the site was deleted")));
            }
            return new SiteDeletion(insertEvent(db, site, event), List.copyOf(retireEvents));
        });
    }

    @Override
    public List<String> deletedSites() {
        return query(SqlRows::deletedSites);
    }

    @Override
    public void purge(String deploymentId) {
        inTransaction(db -> {
            SqlRows.deleteContents(db, deploymentId);
            SqlRows.markPurged(db, deploymentId);
            return null;
        });
    }

    @Override
    public void deleteAbandoned(String deploymentId) {
        inTransaction(db -> {
            SqlRows.deleteContents(db, deploymentId);
            SqlRows.deleteUploading(db, deploymentId);
            return null;
        });
    }

    @Override
    public Set<String> referencedBlobs() {
        return query(SqlRows::referencedBlobs);
    }

    @Override
    public SiteEvent appendEvent(String site, EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site);
            return insertEvent(db, site, event);
        });
    }

    @Override
    public Optional<SiteEvent> appendEventOnce(String site, String delivery, Instant expiresAt, Instant now,
                                               EventDraft event) {
        return inTransaction(db -> {
            lockSite(db, site);
            try (PreparedStatement st = db.prepareStatement("DELETE FROM webhook_deliveries WHERE expires_at < ?")) {
                st.setObject(1, seconds(now));
                st.executeUpdate();
            }
            // A delivery another node records at the same time waits on the key, then counts as recorded.
            try (PreparedStatement st = db.prepareStatement("INSERT INTO webhook_deliveries (delivery, expires_at) "
                    + "VALUES (?, ?) ON CONFLICT (delivery) DO NOTHING")) {
                st.setString(1, delivery);
                st.setObject(2, seconds(expiresAt));
                if (st.executeUpdate() == 0) {
                    return Optional.<SiteEvent>empty();
                }
            }
            try (PreparedStatement st = db.prepareStatement("DELETE FROM webhook_deliveries WHERE delivery IN "
                    + "(SELECT delivery FROM webhook_deliveries ORDER BY expires_at DESC OFFSET ?)")) {
                st.setInt(1, MAX_DELIVERIES);
                st.executeUpdate();
            }
            return Optional.of(insertEvent(db, site, event));
        });
    }

    @Override
    public void setNotified(String site, long seq, int notified) {
        inTransaction(db -> {
            SqlRows.setNotified(db, site, seq, notified);
            return null;
        });
    }

    /** The site's next event number; only under the site's lock (taken by every method that appends one). */
    private static long nextSeq(Connection db, String site) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE site=?")) {
            st.setString(1, site);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static SiteEvent insertEvent(Connection db, String site, EventDraft e) throws SQLException {
        long seq = nextSeq(db, site);
        try (PreparedStatement st = db.prepareStatement("INSERT INTO events (site, seq, type, deployment, previous, "
                + "actor, at, notified, detail) VALUES (?,?,?,?,?,?,?,0,?)")) {
            st.setString(1, site);
            st.setLong(2, seq);
            st.setString(3, e.type());
            st.setString(4, e.deployment().orElse(null));
            st.setString(5, e.previous().orElse(null));
            st.setString(6, e.actor());
            st.setObject(7, ts(e.at()));
            st.setString(8, e.detail());
            st.executeUpdate();
        }
        return new SiteEvent(site, seq, e.type(), e.deployment(), e.previous(), e.actor(), e.at(), 0, e.detail());
    }

    @Override
    public List<SiteEvent> events(String site, int limit) {
        return query(db -> {
            List<SiteEvent> out = new ArrayList<>();
            try (PreparedStatement st = db.prepareStatement("SELECT site, seq, type, deployment, previous, actor, at, "
                    + "notified, detail FROM events WHERE site=? ORDER BY seq DESC LIMIT ?")) {
                st.setString(1, site);
                st.setInt(2, limit);
                try (ResultSet rs = st.executeQuery()) {
                    while (rs.next()) {
                        out.add(new SiteEvent(rs.getString(1), rs.getLong(2), rs.getString(3),
                                Optional.ofNullable(rs.getString(4)), Optional.ofNullable(rs.getString(5)),
                                rs.getString(6), instant(rs, 7).orElseThrow(), rs.getInt(8), rs.getString(9)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void ping() {
        query(db -> {
            try (PreparedStatement st = db.prepareStatement("SELECT 1"); ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        });
    }

    /**
     * PostgreSQL has no whole-database check like SQLite's integrity_check (its own consistency is its WAL's job);
     * this checks what the store relies on: every migration applied, and each site's active pointer naming an active
     * deployment of that site.
     */
    @Override
    public boolean integrityOk() {
        return query(db -> {
            try (PreparedStatement st = db.prepareStatement("SELECT "
                    + "(SELECT count(*) FROM flyway_schema_history WHERE NOT success) + "
                    + "(SELECT count(*) FROM sites s WHERE s.active_deployment IS NOT NULL AND NOT EXISTS "
                    + "(SELECT 1 FROM deployments d WHERE d.id=s.active_deployment AND d.site=s.name AND d.state='active'))");
                 ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getLong(1) == 0;
            }
        });
    }

    @Override
    public void close() {
        pool.close();
    }

    /** The store's connections, for {@link StoreCopy}'s bulk writes. */
    HikariDataSource pool() {
        return pool;
    }

    /** Which node runs the jobs that must run once, by an advisory lock on a connection of its own. */
    public dev.skewgate.store.Leadership leadership() {
        return new AdvisoryLeadership(direct);
    }

    /** The nodes sharing this database and their last reports. */
    public dev.skewgate.store.Nodes nodes() {
        return new PostgresNodes(pool);
    }

    @Override
    public StoreInfo info() {
        return new StoreInfo("postgresql", where);
    }

    /**
     * The blobs in this database, behind a local cache of at most {@code cacheBytes} (beyond what snapshots use),
     * on a pool of their own so that long blob transfers never keep a metadata write waiting for a connection.
     */
    public PostgresBlobStore blobs(dev.skewgate.store.FileBlobStore cache, long cacheBytes) {
        HikariConfig config = new HikariConfig();
        config.setDataSource(direct);
        config.setPoolName("skewgate-blobs");
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(30_000);
        config.setInitializationFailTimeout(-1); // the database may be away at a start from the last-known-good copy
        return new PostgresBlobStore(new HikariDataSource(config), cache, cacheBytes, where);
    }

    /**
     * The notices of changes other nodes commit to this database, on a connection of their own (never one of the
     * pool's): started by {@link ChangeFeed#start}.
     */
    public ChangeFeed changes() {
        return new ChangeFeed(direct, node, where);
    }

    @Override
    public <T> T transaction(Supplier<T> work) {
        if (current.get() != null) {
            return work.get();
        }
        return inTransaction(db -> work.get());
    }

    private interface Work<T> {
        T run(Connection db) throws SQLException;
    }

    /** Runs a read on the thread's transaction if it has one, else on a pooled connection in auto-commit. */
    private <T> T query(Work<T> work) {
        Connection joined = current.get();
        if (joined != null) {
            try {
                return work.run(joined);
            } catch (SQLException e) {
                throw failure("database read", e);
            }
        }
        try (Connection db = pool.getConnection()) {
            return work.run(db);
        } catch (SQLException e) {
            throw failure("database read", e);
        }
    }

    /**
     * Runs the work in one transaction, bound to this thread until it ends so that the store's calls inside it join
     * it; inside {@link #transaction} it joins the caller's, which commits or rolls back the whole change.
     */
    private <T> T inTransaction(Work<T> work) {
        Connection joined = current.get();
        if (joined != null) {
            try {
                return work.run(joined);
            } catch (SQLException e) {
                throw failure("database write", e);
            }
        }
        Connection db;
        try {
            db = pool.getConnection();
            db.setAutoCommit(false);
        } catch (SQLException e) {
            throw failure("database write", e);
        }
        current.set(db);
        try {
            return SqlRows.commitOrRollback(db, () -> work.run(db), sql -> failure("database write", sql));
        } finally {
            current.remove();
            try {
                db.close(); // back to the pool, which resets auto-commit
            } catch (SQLException e) {
                org.slf4j.LoggerFactory.getLogger(PostgresStore.class).warn("returning a connection failed: {}",
                        e.toString());
            }
        }
    }

    private RuntimeException failure(String what, SQLException e) {
        if ("53100".equals(e.getSQLState())) { // disk_full
            return new InsufficientStorageException(what + " failed: the disk of PostgreSQL at " + where
                    + " is full; nothing was changed, retry once space is freed", e);
        }
        return new StoreFailure(what + " on PostgreSQL at " + where + " failed: " + firstLine(e.getMessage()), e);
    }

    private static NotFoundException siteNotFound(String site) {
        return new NotFoundException("SITE_NOT_FOUND", "no site named '" + site + "'");
    }

    /** An instant as stored: millisecond precision, as SQLite keeps it, so both stores read back the same value. */
    private static OffsetDateTime ts(Instant at) {
        return OffsetDateTime.ofInstant(at.truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC);
    }

    /** Webhook delivery expiries, kept in whole seconds as SQLite keeps them. */
    private static OffsetDateTime seconds(Instant at) {
        return OffsetDateTime.ofInstant(at.truncatedTo(ChronoUnit.SECONDS), ZoneOffset.UTC);
    }

    private static void setInstant(PreparedStatement st, int index, Optional<Instant> value) throws SQLException {
        if (value.isPresent()) {
            st.setObject(index, ts(value.get()));
        } else {
            st.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        }
    }

    private static Optional<Instant> instant(ResultSet rs, int index) throws SQLException {
        OffsetDateTime v = rs.getObject(index, OffsetDateTime.class);
        return v == null ? Optional.empty() : Optional.of(v.toInstant());
    }
}
