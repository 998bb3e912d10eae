package dev.skewgate.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster from Debian's binaries ({@code /usr/lib/postgresql/<version>/bin}), started once per
 * JVM on a free loopback port in a temp directory, with password logins only, and stopped by a shutdown hook. As
 * root (CI) it runs as the {@code postgres} OS user, since PostgreSQL refuses to run as root. The distribution's own
 * cluster and service are not used. Durability is off ({@code fsync=off}): nothing here outlives the JVM.
 */
public final class Postgres {

    public static final String USER = "skewgate";

    private static Postgres shared;

    private final Path dir;
    private final Path bin;
    private final int port;
    private final String password;
    private final boolean asPostgresUser;

    private Postgres(Path dir, Path bin, int port, String password, boolean asPostgresUser) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.password = password;
        this.asPostgresUser = asPostgresUser;
    }

    /** The JVM's one cluster, started on first use. */
    public static synchronized Postgres shared() {
        if (shared == null) {
            try {
                shared = start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start a throwaway PostgreSQL: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting PostgreSQL", e);
            }
            Postgres started = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "postgres-stop"));
        }
        return shared;
    }

    private static Postgres start() throws IOException, InterruptedException {
        Path bin = binaries();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory("skewgate-pg-");
        String password = UUID.randomUUID().toString();
        Files.writeString(dir.resolve("password"), password + "\n");
        if (root) {
            // The cluster's files must belong to the user it runs as; /tmp itself lets that user in.
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            for (Path p : List.of(dir, dir.resolve("password"))) {
                Files.setOwner(p, users.lookupPrincipalByName("postgres"));
            }
        }
        Postgres pg = new Postgres(dir, bin, freePort(), password, root);
        pg.run(60, "initdb", "-D", dir.resolve("data").toString(), "-U", USER, "--pwfile=" + dir.resolve("password"),
                "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync");
        pg.startServer();
        return pg;
    }

    /**
     * A cluster of the caller's own, for a test that stops and starts PostgreSQL itself ({@link #stopServer}): the
     * shared one stays up for every other test. Stopped and removed at the JVM's end like the shared one.
     */
    public static Postgres startPrivate() {
        try {
            Postgres own = start();
            Runtime.getRuntime().addShutdownHook(new Thread(own::stop, "postgres-stop"));
            return own;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a throwaway PostgreSQL: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting PostgreSQL", e);
        }
    }

    /** Starts the server (again) on its port, waiting until it accepts connections. */
    public void startServer() throws IOException, InterruptedException {
        run(60, "pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", "60", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
                        + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                "start");
    }

    /**
     * Stops the server as an operator would ({@code pg_ctl stop -m fast}: sessions are ended, then it exits); does
     * nothing when it is stopped already.
     */
    public void stopServer() throws IOException, InterruptedException {
        if (!Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
            return;
        }
        run(60, "pg_ctl", "-D", dir.resolve("data").toString(), "-m", "fast", "-w", "stop");
    }

    /** The newest installed version's bin directory. */
    private static Path binaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                var found = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                        .max(Comparator.comparingInt(b -> version(b.getParent().getFileName().toString())));
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new IllegalStateException("these tests need Debian's PostgreSQL server binaries in "
                + "/usr/lib/postgresql/<version>/bin: apt-get install postgresql (.ci/run does)");
    }

    private static int version(String name) {
        try {
            return Integer.parseInt(name.split("\\.")[0]);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A new empty database, as a store URL with this cluster's credentials. */
    public String createDatabase() {
        String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", USER,
                password); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create a test database: " + e.getMessage(), e);
        }
        return url(name);
    }

    /** Ends every server connection to the database of {@code url} (what a database restart does to a client). */
    public int endConnections(String url) {
        String name = url.substring(url.lastIndexOf('/') + 1);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", USER,
                password); var st = c.prepareStatement(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname=?")) {
            st.setString(1, name);
            try (var rs = st.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot end the connections to " + name + ": " + e.getMessage(), e);
        }
    }

    /** A plain JDBC connection to the database of a store URL of this cluster (tests look at its tables). */
    public Connection connect(String url) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/"
                + url.substring(url.lastIndexOf('/') + 1), USER, password);
    }

    /** The store URL of database {@code name} on this cluster. */
    public String url(String name) {
        return "postgresql://" + USER + ":" + password + "@127.0.0.1:" + port + "/" + name;
    }

    public int port() {
        return port;
    }

    public String password() {
        return password;
    }

    private void stop() {
        try {
            run(30, "pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
        } catch (IOException | RuntimeException e) {
            // the JVM is ending: what is left is a temp directory and at worst a process without its parent
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort, as above
        }
    }

    private void run(int seconds, String tool, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (asPostgresUser) {
            command.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        command.add(bin.resolve(tool).toString());
        command.addAll(List.of(args));
        Path log = Files.createTempFile("skewgate-pg-" + tool + "-", ".log");
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(tool + " did not finish within " + seconds + " s: " + Files.readString(log)
                        + serverLog());
            }
            if (p.exitValue() != 0) {
                throw new IOException(tool + " failed (exit " + p.exitValue() + "): " + Files.readString(log)
                        + serverLog());
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private String serverLog() throws IOException {
        Path log = dir.resolve("server.log");
        return Files.exists(log) ? "\nserver log:\n" + Files.readString(log) : "";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
