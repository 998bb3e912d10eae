package dev.skewgate.control;

import dev.skewgate.model.Backend;
import dev.skewgate.model.BackendDefaults;
import dev.skewgate.model.BackendFile;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ManagedBackend;
import dev.skewgate.model.ManifestRules;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a backend brought as a folder may be: its settings (the deploy's over the site's defaults over the built-in
 * ones) within sane bounds, a command the gateway can find, and a folder that cannot reach outside itself once it is
 * materialized (relative paths, links that resolve inside it, nothing under a link).
 */
public final class ManagedRules {

    public static final long MIN_MEMORY = 16L << 20;
    public static final Duration MAX_KILL_TIMEOUT = Duration.ofMinutes(10);
    public static final Duration MIN_IDLE_STOP = Duration.ofSeconds(10);
    public static final int MAX_COMMAND_CHARS = 4096;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private ManagedRules() {
    }

    /** The deployment's backend: what was asked, filled from the site's defaults, every value checked. */
    public static Backend resolve(ManagedRequest request, BackendDefaults site) {
        BackendDefaults b = request.asked().over(site);
        String run = b.run().map(String::trim).filter(s -> !s.isEmpty()).orElseThrow(() -> new InvalidRequestException(
                "RUN_REQUIRED", "a backend folder needs the command that starts it: pass --run \"node index.js\" "
                + "(or set the site's default with skewgate site update SITE --run ...)"));
        checkCommand("run", run);
        b.release().ifPresent(r -> checkCommand("release", r));
        int instances = b.instances().orElse(1);
        if (instances < 1 || instances > ManagedBackend.MAX_INSTANCES) {
            throw new InvalidRequestException("INVALID_INSTANCES", "the number of instances (--instances) must be between 1 and "
                    + ManagedBackend.MAX_INSTANCES + ", not " + instances);
        }
        OptionalLong memory = b.maxMemoryBytes();
        if (memory.isPresent() && memory.getAsLong() < MIN_MEMORY) {
            throw new InvalidRequestException("INVALID_MAX_MEMORY", "the memory bound (--max-memory) must be at least 16M; "
                    + memory.getAsLong() + " bytes would restart every instance at once");
        }
        Duration kill = b.killTimeout().orElse(ManagedBackend.DEFAULT_KILL_TIMEOUT);
        if (kill.isNegative() || kill.isZero() || kill.compareTo(MAX_KILL_TIMEOUT) > 0) {
            throw new InvalidRequestException("INVALID_KILL_TIMEOUT", "the kill timeout (--kill-timeout) must be between 1s and 10m");
        }
        Optional<Duration> idle = b.idleStop().filter(d -> !d.isZero());
        if (idle.isPresent() && idle.get().compareTo(MIN_IDLE_STOP) < 0) {
            throw new InvalidRequestException("INVALID_IDLE_STOP", "the idle stop (--idle-stop) must be at least 10s (0s turns it off)");
        }
        String health = BackendRules.health(b.healthPath().orElse("/"));
        checkFiles(request.files());
        checkEnv(request.env());
        long bytes = request.files().stream().mapToLong(BackendFile::size).sum();
        ManagedBackend spec = new ManagedBackend(run, instances, b.release().map(String::trim).filter(s -> !s.isEmpty()),
                memory, kill, idle, b.autoRollback().orElse(false), request.files().size(), bytes,
                List.copyOf(new TreeSet<>(request.env().keySet())));
        return Backend.managed(spec, health);
    }

    /** A site's defaults, each within the bounds a deploy's own value must keep; the command may be left to the deploy. */
    public static BackendDefaults checkDefaults(BackendDefaults d) {
        d.healthPath().ifPresent(BackendRules::health);
        d.run().ifPresent(r -> checkCommand("run", r));
        d.release().ifPresent(r -> checkCommand("release", r));
        if (d.instances().isPresent()) {
            int n = d.instances().getAsInt();
            if (n < 1 || n > ManagedBackend.MAX_INSTANCES) {
                throw new InvalidRequestException("INVALID_INSTANCES", "the number of instances (--instances) must be between 1 and "
                        + ManagedBackend.MAX_INSTANCES + ", not " + n);
            }
        }
        if (d.maxMemoryBytes().isPresent() && d.maxMemoryBytes().getAsLong() < MIN_MEMORY) {
            throw new InvalidRequestException("INVALID_MAX_MEMORY", "the memory bound (--max-memory) must be at least 16M");
        }
        d.killTimeout().ifPresent(k -> {
            if (k.isZero() || k.compareTo(MAX_KILL_TIMEOUT) > 0) {
                throw new InvalidRequestException("INVALID_KILL_TIMEOUT", "the kill timeout (--kill-timeout) must be between 1s and 10m");
            }
        });
        d.idleStop().filter(i -> !i.isZero()).ifPresent(i -> {
            if (i.compareTo(MIN_IDLE_STOP) < 0) {
                throw new InvalidRequestException("INVALID_IDLE_STOP", "the idle stop (--idle-stop) must be at least 10s (0s turns it off)");
            }
        });
        return d;
    }

    /**
     * A command's first word must be found: an explicit path inside the folder (checked once it is materialized), or
     * a program on the gateway's PATH. Said here, at deploy time, rather than as an instance that exits with 127.
     */
    static void checkCommand(String what, String command) {
        if (command.length() > MAX_COMMAND_CHARS || command.indexOf('\0') >= 0 || command.indexOf('\n') >= 0) {
            throw new InvalidRequestException("INVALID_COMMAND", "the " + what + " command must be one line of at "
                    + "most " + MAX_COMMAND_CHARS + " characters");
        }
        String first = firstWord(command);
        if (first.isEmpty() || first.contains("/") || first.contains("=") || SHELL_WORDS.contains(first)) {
            return; // a path relative to the folder, an assignment or shell syntax: the shell decides at start
        }
        for (String dir : Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, first))) {
                return;
            }
        }
        throw new InvalidRequestException("COMMAND_NOT_FOUND", "the " + what + " command '" + first
                + "' is not on the gateway's PATH; install it there or give its path (e.g. ./bin/server)");
    }

    private static final Set<String> SHELL_WORDS = Set.of("exec", "env", "cd", "export", ".", "set", "ulimit", "umask",
            "if", "for", "while", "case", "(", "{");

    private static String firstWord(String command) {
        String t = command.trim();
        int end = 0;
        while (end < t.length() && !Character.isWhitespace(t.charAt(end)) && ";&|<>()".indexOf(t.charAt(end)) < 0) {
            end++;
        }
        return t.substring(0, end).replace("\"", "").replace("'", "");
    }

    /** The folder's manifest: valid relative paths, no duplicates, links that stay inside, nothing under a link. */
    public static void checkFiles(List<BackendFile> files) {
        if (files.isEmpty()) {
            throw new InvalidRequestException("EMPTY_BACKEND", "the backend folder holds no files");
        }
        if (files.size() > ManifestRules.MAX_ENTRIES) {
            throw new InvalidRequestException("MANIFEST_TOO_LARGE", "a backend folder may hold at most "
                    + ManifestRules.MAX_ENTRIES + " entries, this one has " + files.size());
        }
        Set<String> paths = new HashSet<>();
        Set<String> links = new HashSet<>();
        for (BackendFile f : files) {
            ManifestRules.checkPath(f.path());
            if (!paths.add(f.path())) {
                throw new InvalidRequestException("DUPLICATE_PATH", "'" + f.path() + "' appears twice");
            }
            if (f.isLink()) {
                checkLink(f.path(), f.link().get());
                links.add(f.path());
            } else if (!SHA256.matcher(f.sha256()).matches() || f.size() < 0 || f.size() > ManifestRules.MAX_FILE_BYTES) {
                throw new InvalidRequestException("INVALID_MANIFEST", "'" + f.path()
                        + "' needs a lowercase hex sha256 and a size between 0 and 2 GiB");
            }
        }
        for (String p : paths) {
            for (int i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) {
                String parent = p.substring(0, i);
                if (links.contains(parent)) {
                    throw new InvalidRequestException("PATH_UNDER_LINK", "'" + p + "' lies under the link '" + parent
                            + "'; a link's target is written as a link, never written through");
                }
                if (paths.contains(parent) && !links.contains(parent)) {
                    throw new InvalidRequestException("INVALID_PATH", "'" + parent + "' is both a file and a folder");
                }
            }
        }
    }

    /** A link's target, resolved from the link's own folder without touching a disk, must stay inside the folder. */
    static void checkLink(String path, String target) {
        if (target.isEmpty() || target.startsWith("/") || target.indexOf('\0') >= 0 || target.indexOf('\\') >= 0
                || target.length() > ManifestRules.MAX_PATH_BYTES) {
            throw new InvalidRequestException("LINK_OUTSIDE", "the link '" + path + "' points to '" + target
                    + "': only relative links inside the backend folder are allowed");
        }
        Deque<String> at = new ArrayDeque<>(List.of(path.split("/")));
        at.removeLast();
        for (String segment : target.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                if (at.isEmpty()) {
                    throw new InvalidRequestException("LINK_OUTSIDE", "the link '" + path + "' points to '" + target
                            + "', outside the backend folder");
                }
                at.removeLast();
            } else {
                at.addLast(segment);
            }
        }
    }

    /** A deployment's own environment follows the site environment's rules. */
    static void checkEnv(Map<String, String> env) {
        env.forEach((k, v) -> {
            EnvRules.checkKey(k);
            EnvRules.checkValue(k, v);
        });
        long total = EnvRules.total(env);
        if (total > EnvRules.MAX_TOTAL_BYTES) {
            throw new InvalidRequestException("ENV_TOO_LARGE", "the deployment's environment is " + total
                    + " bytes; at most " + EnvRules.MAX_TOTAL_BYTES + " are allowed");
        }
    }
}
