package dev.skewgate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The system's Node and npm for tests that build the JavaScript package and the example apps for real: installs from
 * lockfiles (once per lockfile, the node_modules folder is kept between runs) and runs commands with a deadline.
 */
public final class NodeTools {

    /** The repository root: Maven runs tests in the project's folder. */
    public static final Path REPO = Path.of("").toAbsolutePath();
    public static final Path SDK = REPO.resolve("sdk");
    private static final String STAMP = ".skewgate-installed-from";

    private NodeTools() {
    }

    /** What a command printed (stdout and stderr together) and its exit code. */
    public record Result(int exitCode, String output) {
    }

    /** Fails with a clear message when Node or npm is missing. */
    public static void requireNode() {
        try {
            run(REPO, Map.of(), 30, "npm", "--version");
        } catch (IllegalStateException e) {
            throw new IllegalStateException("these tests need Node 18+ and npm: apt-get install nodejs npm (.ci/run does)", e);
        }
    }

    /** Runs a command in dir; throws with its output unless it exits 0 within the deadline. */
    public static String run(Path dir, Map<String, String> env, int timeoutSeconds, String... command) {
        Result r = attempt(dir, env, timeoutSeconds, command);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " in " + dir + " exited with " + r.exitCode()
                    + ":\n" + r.output());
        }
        return r.output();
    }

    /** Runs a command in dir and returns its exit code and output (killed after the deadline). */
    public static Result attempt(Path dir, Map<String, String> env, int timeoutSeconds, String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(env);
            pb.environment().put("NO_COLOR", "1");
            pb.environment().put("npm_config_update_notifier", "false");
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " took over " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), out.join());
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + command[0] + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Builds sdk/dist from its sources and the served script. */
    public static void buildSdk() {
        run(SDK, Map.of(), 60, "node", "scripts/build.mjs");
    }

    /**
     * {@code npm ci} in dir unless its node_modules was installed from the same lockfile: a fresh clone installs once
     * (from the registry, or npm's cache), later runs reuse the folder.
     */
    public static void installFromLockfile(Path dir) {
        try {
            String lock = TestGateway.sha256(Files.readAllBytes(dir.resolve("package-lock.json")));
            Path stamp = dir.resolve("node_modules").resolve(STAMP);
            if (Files.isRegularFile(stamp) && Files.readString(stamp).trim().equals(lock)) {
                return;
            }
            run(dir, Map.of(), 300, "npm", "ci", "--no-audit", "--no-fund", "--prefer-offline");
            Files.writeString(stamp, lock);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every file under dir as deployment path -> bytes. */
    public static Map<String, byte[]> files(Path dir) {
        Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        try (var walk = Files.walk(dir)) {
            List<Path> paths = new ArrayList<>(walk.filter(Files::isRegularFile).sorted().toList());
            for (Path p : paths) {
                files.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }
}
