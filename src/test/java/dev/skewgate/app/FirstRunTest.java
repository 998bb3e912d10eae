package dev.skewgate.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first minutes with the real command in a child JVM, started from a fresh folder as a new user would: what
 * {@code serve} says when it starts or cannot, and that {@code demo} keeps out of {@code serve}'s data.
 */
class FirstRunTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path cwd;

    private Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-Dvertx.cacheDirBase=" + cwd.resolve("vertx-cache"),
                "-cp", System.getProperty("java.class.path"), "dev.skewgate.app.Main"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true).start();
    }

    /** Reads the child's output until a line contains {@code marker} (or the child ends); returns all it read. */
    private static String readUntil(Process p, String marker) throws IOException {
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while (System.nanoTime() < deadline && (line = in.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.contains(marker)) {
                break;
            }
        }
        return seen.toString();
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    @Test
    void serveSaysWhereEverythingIsAndWhatToRunNext() throws Exception {
        Process p = start("serve", "--host", "127.0.0.1", "--port", "0", "--admin-port", "0");
        try {
            String out = readUntil(p, "then open");
            assertThat(out).contains("Skewgate is running.", "edge (browsers):  http://127.0.0.1:", "admin API:",
                    cwd.toRealPath().resolve("skewgate-data").resolve("admin-token").toString(),
                    "skewgate site create shop --host shop.localhost", "skewgate deploy ./dist --site shop --activate");
        } finally {
            stop(p);
        }
    }

    @Test
    void aPortInUseNamesTheListenerTheAddressAndTheFlag() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            Process p = start("serve", "--host", "127.0.0.1", "--port", Integer.toString(port), "--admin-port", "0");
            String out = readUntil(p, "error:");
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isEqualTo(1);
            assertThat(out).contains("cannot start the edge listener (for browsers) on 127.0.0.1:" + port,
                    "already in use", "--port").doesNotContain("error(-98)", "bind(..)");
        }
    }

    @Test
    void theDemoLeavesServesDataFolderUntouched() throws Exception {
        Process p = start("demo", "--port", "0", "--admin-port", "0");
        try {
            String out = readUntil(p, "Press Ctrl-C");
            assertThat(out).contains("Skewgate demo is running.", "skewgate-demo-data", "--data-dir");
            assertThat(Files.exists(cwd.resolve("skewgate-demo-data").resolve("skewgate.db"))).isTrue();
            assertThat(Files.exists(cwd.resolve("skewgate-data"))).as("serve's folder").isFalse();
        } finally {
            stop(p);
        }
    }
}
