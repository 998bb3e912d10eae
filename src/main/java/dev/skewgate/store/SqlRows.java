package dev.skewgate.store;

import dev.skewgate.model.BackendFile;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.ManifestEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The statements SQLite's and PostgreSQL's stores run alike (manifests, backend folders, deployment env, the
 * audit's notified count), on the connection and in the transaction the calling store gives.
 */
public final class SqlRows {

    private SqlRows() {
    }

    /** How a store binds a point in time: epoch milliseconds (SQLite) or {@code timestamptz} (PostgreSQL). */
    @FunctionalInterface
    public interface Instants {
        void bind(PreparedStatement st, int index, Optional<Instant> at) throws SQLException;
    }

    /** Binds a deployment's 15 columns, in the order both stores' {@code DEPLOYMENT_COLUMNS} name them. */
    public static void bindDeployment(PreparedStatement st, Deployment d, Instants instants) throws SQLException {
        st.setString(1, d.id());
        st.setString(2, d.site());
        st.setString(3, d.state().wire());
        instants.bind(st, 4, Optional.of(d.createdAt()));
        instants.bind(st, 5, d.finalizedAt());
        instants.bind(st, 6, d.activatedAt());
        instants.bind(st, 7, d.demotedAt());
        instants.bind(st, 8, d.retiredAt());
        st.setString(9, d.message());
        st.setString(10, d.gitSha().orElse(null));
        st.setString(11, d.author());
        st.setInt(12, d.fileCount());
        st.setLong(13, d.totalBytes());
        st.setString(14, d.promotedFrom().orElse(null));
        st.setString(15, d.backend().map(ColumnJson::write).orElse(null));
    }

    public static void insertManifest(Connection db, String deploymentId, List<ManifestEntry> files) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(
                "INSERT INTO deployment_files (deployment, path, sha256, size, content_type) VALUES (?,?,?,?,?)")) {
            for (ManifestEntry f : files) {
                st.setString(1, deploymentId);
                st.setString(2, f.path());
                st.setString(3, f.sha256());
                st.setLong(4, f.size());
                st.setString(5, f.contentType());
                st.addBatch();
            }
            st.executeBatch();
        }
    }

    public static List<ManifestEntry> manifest(Connection db, String deploymentId) throws SQLException {
        List<ManifestEntry> out = new ArrayList<>();
        try (PreparedStatement st = db.prepareStatement(
                "SELECT path, sha256, size, content_type FROM deployment_files WHERE deployment=? ORDER BY path")) {
            st.setString(1, deploymentId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.add(new ManifestEntry(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
                }
            }
        }
        return out;
    }

    /** A managed backend's folder manifest and the deployment's own environment (values sealed). */
    public static void insertBackend(Connection db, String deploymentId, List<BackendFile> backend,
                                     Map<String, String> env, SecretBox secrets) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(
                "INSERT INTO backend_files (deployment, path, kind, sha256, size, link) VALUES (?,?,?,?,?,?)")) {
            for (BackendFile f : backend) {
                st.setString(1, deploymentId);
                st.setString(2, f.path());
                st.setString(3, f.isLink() ? "l" : f.executable() ? "x" : "f");
                st.setString(4, f.isLink() ? null : f.sha256());
                st.setLong(5, f.size());
                st.setString(6, f.link().orElse(null));
                st.addBatch();
            }
            st.executeBatch();
        }
        try (PreparedStatement st = db.prepareStatement(
                "INSERT INTO deployment_env (deployment, name, value) VALUES (?,?,?)")) {
            for (Map.Entry<String, String> e : env.entrySet()) {
                st.setString(1, deploymentId);
                st.setString(2, e.getKey());
                st.setString(3, secrets.seal(e.getValue()));
                st.addBatch();
            }
            st.executeBatch();
        }
    }

    /** A promoted deployment takes its source's backend folder manifest and environment. */
    public static void copyBackend(Connection db, String from, String to) throws SQLException {
        for (String copy : List.of(
                "INSERT INTO backend_files (deployment, path, kind, sha256, size, link) "
                        + "SELECT ?, path, kind, sha256, size, link FROM backend_files WHERE deployment=?",
                "INSERT INTO deployment_env (deployment, name, value) "
                        + "SELECT ?, name, value FROM deployment_env WHERE deployment=?")) {
            try (PreparedStatement st = db.prepareStatement(copy)) {
                st.setString(1, to);
                st.setString(2, from);
                st.executeUpdate();
            }
        }
    }

    public static List<BackendFile> backendFiles(Connection db, String deploymentId) throws SQLException {
        List<BackendFile> out = new ArrayList<>();
        try (PreparedStatement st = db.prepareStatement(
                "SELECT path, kind, sha256, size, link FROM backend_files WHERE deployment=? ORDER BY path")) {
            st.setString(1, deploymentId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    String kind = rs.getString(2);
                    out.add(kind.equals("l") ? BackendFile.link(rs.getString(1), rs.getString(5))
                            : BackendFile.file(rs.getString(1), rs.getString(3), rs.getLong(4), kind.equals("x")));
                }
            }
        }
        return out;
    }

    public static Map<String, String> deploymentEnv(Connection db, String deploymentId, SecretBox secrets)
            throws SQLException {
        Map<String, String> out = new TreeMap<>();
        try (PreparedStatement st = db.prepareStatement("SELECT name, value FROM deployment_env WHERE deployment=?")) {
            st.setString(1, deploymentId);
            try (ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), secrets.open(rs.getString(2)));
                }
            }
        }
        return out;
    }

    /** Drops a deployment's manifests and environment: purged (then marked so) or abandoned (then deleted). */
    public static void deleteContents(Connection db, String deploymentId) throws SQLException {
        for (String table : List.of("deployment_files", "backend_files", "deployment_env")) {
            try (PreparedStatement st = db.prepareStatement("DELETE FROM " + table + " WHERE deployment=?")) {
                st.setString(1, deploymentId);
                st.executeUpdate();
            }
        }
    }

    /** Marks a retired deployment purged, once {@link #deleteContents} dropped what it held. */
    public static void markPurged(Connection db, String deploymentId) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(
                "UPDATE deployments SET state='purged' WHERE id=? AND state='retired'")) {
            st.setString(1, deploymentId);
            st.executeUpdate();
        }
    }

    /** Removes a deployment that never finished uploading, once {@link #deleteContents} dropped what it held. */
    public static void deleteUploading(Connection db, String deploymentId) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("DELETE FROM deployments WHERE id=? AND state='uploading'")) {
            st.setString(1, deploymentId);
            st.executeUpdate();
        }
    }

    public static Set<String> referencedBlobs(Connection db) throws SQLException {
        Set<String> out = new HashSet<>();
        try (PreparedStatement st = db.prepareStatement("SELECT sha256 FROM deployment_files UNION "
                + "SELECT sha256 FROM backend_files WHERE sha256 IS NOT NULL");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    public static List<String> deletedSites(Connection db) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement st = db.prepareStatement("SELECT name FROM sites WHERE deleted_at IS NOT NULL ORDER BY name");
             ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    public static void setNotified(Connection db, String site, long seq, int notified) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("UPDATE events SET notified=notified+? WHERE site=? AND seq=?")) {
            st.setInt(1, notified);
            st.setString(2, site);
            st.setLong(3, seq);
            st.executeUpdate();
        }
    }

    /**
     * The state change of an activation, after the site's lock: the active deployment (if another) becomes previous
     * at {@code seq}, {@code deploymentId} becomes active, the site points at it. 409 NOT_ACTIVATABLE when it is not
     * staged, previous or active.
     */
    public static void activate(Connection db, String site, String deploymentId, Optional<String> previous, Instant at,
                                long seq, Instants instants) throws SQLException {
        if (previous.isPresent()) {
            try (PreparedStatement st = db.prepareStatement("UPDATE deployments SET state='previous', demoted_at=?, "
                    + "demoted_seq=? WHERE id=? AND state='active'")) {
                instants.bind(st, 1, Optional.of(at));
                st.setLong(2, seq);
                st.setString(3, previous.get());
                st.executeUpdate();
            }
        }
        try (PreparedStatement st = db.prepareStatement(
                "UPDATE deployments SET state='active', activated_at=?, demoted_at=NULL WHERE id=? AND site=? "
                        + "AND state IN ('staged','previous','active')")) {
            instants.bind(st, 1, Optional.of(at));
            st.setString(2, deploymentId);
            st.setString(3, site);
            if (st.executeUpdate() != 1) {
                throw new dev.skewgate.model.ConflictException("NOT_ACTIVATABLE",
                        "deployment " + deploymentId + " of site '" + site + "' cannot be activated");
            }
        }
        try (PreparedStatement st = db.prepareStatement(
                "UPDATE sites SET active_deployment=?, revision=revision+1 WHERE name=?")) {
            st.setString(1, deploymentId);
            st.setString(2, site);
            st.executeUpdate();
        }
    }

    /** The state change of a retirement: 409 NOT_RETIRABLE unless the deployment is staged or previous. */
    public static void retire(Connection db, String site, String deploymentId, Instant at, Instants instants)
            throws SQLException {
        try (PreparedStatement st = db.prepareStatement("UPDATE deployments SET state='retired', retired_at=? "
                + "WHERE id=? AND site=? AND state IN ('staged','previous')")) {
            instants.bind(st, 1, Optional.of(at));
            st.setString(2, deploymentId);
            st.setString(3, site);
            if (st.executeUpdate() != 1) {
                throw new dev.skewgate.model.ConflictException("NOT_RETIRABLE",
                        "deployment " + deploymentId + " of site '" + site + "' cannot be retired");
            }
        }
        try (PreparedStatement st = db.prepareStatement("UPDATE sites SET revision=revision+1 WHERE name=?")) {
            st.setString(1, site);
            st.executeUpdate();
        }
    }

    /** Whether a deleted site of this name is kept (for its audit log): a new site of that name revives its row. */
    public static boolean deletedSiteExists(Connection db, String site) throws SQLException {
        try (PreparedStatement st = db.prepareStatement("SELECT 1 FROM sites WHERE name=? AND deleted_at IS NOT NULL")) {
            st.setString(1, site);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** The work of one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * Runs {@code work} on {@code db} (auto-commit off) and commits, or rolls back on any failure and rethrows it: a
     * database error as {@code failure} makes it, anything else as it is.
     */
    public static <T> T commitOrRollback(Connection db, Work<T> work,
                                         java.util.function.Function<SQLException, RuntimeException> failure) {
        try {
            T result = work.run();
            db.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            try {
                db.rollback();
            } catch (SQLException cleanup) {
                e.addSuppressed(cleanup);
            }
            if (e instanceof SQLException sql) {
                throw failure.apply(sql);
            }
            throw (RuntimeException) e;
        }
    }
}
