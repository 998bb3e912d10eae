package dev.skewgate.backends;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Starts backend commands in their own process group and inspects or signals that group through Linux's /proc.
 *
 * <p>Facts checked on this machine (Debian 12, dash 0.5.12, JDK 17 and Temurin 25), which the code relies on:
 * <ul>
 *   <li>A child started from Java is not a process group leader, so {@code setsid} calls setsid(2) directly and
 *       execs without forking: {@link Process#pid()} is the session and group leader (pid == pgid == sid).</li>
 *   <li>dash 0.5.12 does NOT exec the last simple command of {@code -c} ({@code sh -c 'sleep 30'} stays a
 *       {@code sh} with a {@code sleep} child). So the pid we hold is the shell; the backend is its child in the
 *       same group. The shell exits with the backend's status (128+n when a signal killed it), and every signal
 *       goes to the whole group, so the extra shell changes nothing we rely on.</li>
 *   <li>dash exports {@code PWD} to the command even from an empty environment: a backend sees exactly the given
 *       variables plus {@code PWD}.</li>
 *   <li>{@code ProcessHandle.onExit()} does fire for a process that is not our child on both JDKs (the JDK polls),
 *       but it only knows the pid; adopted processes are watched with {@link #alive(long, long)} instead so a
 *       reused pid is never taken for ours.</li>
 * </ul>
 * A backend that calls setsid(2) itself leaves the group and escapes these signals; nothing short of cgroups
 * catches that.
 */
public final class ProcessGroups {

    /** A started group: the leader's pid (== pgid), its start time in clock ticks, and the Java handle for its exit code. */
    public record Started(long pid, long startTicks, Process process) {
    }

    /** The outcome of a one-shot command: its exit code (empty when it timed out) and its last output lines. */
    public record Result(OptionalInt exitCode, boolean timedOut, List<String> tail) {
    }

    private static final Path PROC = Path.of("/proc");
    private static final Duration RUN_ONCE_KILL_GRACE = Duration.ofSeconds(5);

    private ProcessGroups() {
    }

    /**
     * Runs {@code setsid /bin/sh -c RUN} in {@code dir} with exactly {@code env}, stdin from /dev/null and stdout and
     * stderr appended (O_APPEND, so a copy-truncate of the file by the log pump is safe) to {@code output}.
     */
    public static Started start(String run, Path dir, Map<String, String> env, Path output) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("setsid", "/bin/sh", "-c", run);
        pb.directory(dir.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        // Until setsid(1) has run setsid(2) the child is still in the gateway's group: a group signal sent then would
        // miss it (and members() would not list it). That takes microseconds; wait for it, bounded.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (p.isAlive() && System.nanoTime() < deadline
                && stat(p.pid()).map(st -> st.pgrp != p.pid()).orElse(false)) {
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        // The shell may already have exited (and been reaped) for a command that fails at once: -1 then, and
        // alive() says false, which is the truth.
        return new Started(p.pid(), startTicks(p.pid()), p);
    }

    /** The start time of {@code pid} in clock ticks since boot (/proc/PID/stat field 22), or -1 when there is no such process. */
    public static long startTicks(long pid) {
        return stat(pid).map(s -> s.startTicks).orElse(-1L);
    }

    /** Whether {@code pid} is a live (not zombie) process that started at {@code startTicks}, i.e. the same process. */
    public static boolean alive(long pid, long startTicks) {
        if (startTicks < 0) {
            return false;
        }
        return stat(pid).map(s -> s.startTicks == startTicks && (alive(s.state) || anyThreadAlive(pid))).orElse(false);
    }

    /**
     * Sends SIGTERM or SIGKILL to every member of group {@code pgid}; a group that no longer exists is not an error.
     * Java 17 can only signal single pids (ProcessHandle.destroy), and signalling members one by one races with a
     * fork; kill(2) with a negative pid reaches the whole group at once, so this runs /bin/kill.
     */
    public static void signalGroup(long pgid, String signal) {
        if (!signal.equals("TERM") && !signal.equals("KILL")) {
            throw new IllegalArgumentException("signal must be TERM or KILL: " + signal);
        }
        // kill(-1) would signal every process we may signal, and our own group would take the gateway down.
        if (pgid <= 1 || pgid == ownGroup()) {
            throw new IllegalArgumentException("refusing to signal process group " + pgid);
        }
        try {
            Process kill = new ProcessBuilder("/bin/kill", "-s", signal, "--", "-" + pgid)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            // Exit status 1 is ESRCH (the group is gone already): ignored on purpose.
            if (!kill.waitFor(5, TimeUnit.SECONDS)) {
                kill.destroyForcibly();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run /bin/kill", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Every live process whose process group is {@code pgid} (zombies excluded: they hold nothing but a pid). */
    public static List<Long> members(long pgid) {
        List<Long> out = new ArrayList<>();
        for (long pid : allPids()) {
            stat(pid).ifPresent(s -> {
                if (s.pgrp == pgid && (alive(s.state) || anyThreadAlive(pid))) {
                    out.add(pid);
                }
            });
        }
        return out;
    }

    /** The resident memory of the whole group in bytes (VmRSS of each member; Java has no page-size API for statm). */
    public static long rssBytes(long pgid) {
        long sum = 0;
        for (long pid : members(pgid)) {
            try {
                for (String line : Files.readAllLines(PROC.resolve(pid + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        sum += Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
                        break;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // The member exited between the listing and the read: it holds no memory any more.
            }
        }
        return sum;
    }

    /** The TCP ports in LISTEN state held by any member of the group (IPv4 and IPv6). */
    public static Set<Integer> listeningPorts(long pgid) {
        Set<String> inodes = new HashSet<>();
        for (long pid : members(pgid)) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(pid + "/fd"))) {
                for (Path fd : fds) {
                    try {
                        String target = Files.readSymbolicLink(fd).toString();
                        if (target.startsWith("socket:[")) {
                            inodes.add(target.substring(8, target.length() - 1));
                        }
                    } catch (IOException e) {
                        // The descriptor was closed while we listed them.
                    }
                }
            } catch (IOException e) {
                // The member exited.
            }
        }
        Set<Integer> ports = new HashSet<>();
        if (inodes.isEmpty()) {
            return ports;
        }
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table));
                for (int i = 1; i < lines.size(); i++) {
                    String[] f = lines.get(i).trim().split("\\s+");
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode; st 0A is LISTEN.
                    if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                        String local = f[1];
                        ports.add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16));
                    }
                }
            } catch (IOException e) {
                // No IPv6 on this machine.
            }
        }
        return ports;
    }

    /**
     * Runs a one-shot command (the release phase) the same way as {@link #start}, waits for it, and on timeout
     * sends SIGTERM to its group, then SIGKILL 5 s later. Members left behind by a command that exited are killed:
     * a release step must not leave daemons running.
     */
    public static Result runOnce(String run, Path dir, Map<String, String> env, Path output, Duration timeout)
            throws IOException, InterruptedException {
        Started s = start(run, dir, env, output);
        boolean exited = s.process().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited) {
            signalGroup(s.pid(), "TERM");
            long deadline = System.nanoTime() + RUN_ONCE_KILL_GRACE.toNanos();
            while (!members(s.pid()).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        if (!members(s.pid()).isEmpty()) {
            signalGroup(s.pid(), "KILL");
        }
        s.process().waitFor();
        List<String> tail = InstanceLog.lastLines(output, 20);
        return exited ? new Result(OptionalInt.of(s.process().exitValue()), false, tail)
                : new Result(OptionalInt.empty(), true, tail);
    }

    /** The fields of /proc/PID/stat that we use. */
    private record Stat(char state, long pgrp, long startTicks) {
    }

    private static Optional<Stat> stat(long pid) {
        try {
            String s = Files.readString(PROC.resolve(pid + "/stat"));
            // The command name (field 2) is in parentheses and may itself hold spaces and ')'.
            String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
            // f[0] is field 3 (state), so field N is f[N - 3].
            return Optional.of(new Stat(f[0].charAt(0), Long.parseLong(f[2]), Long.parseLong(f[19])));
        } catch (IOException | RuntimeException e) {
            // Gone (NoSuchFileException), or exiting while we read: either way not a live process.
            return Optional.empty();
        }
    }

    private static boolean alive(char state) {
        return state != 'Z' && state != 'X';
    }

    /**
     * Whether any thread of a process whose leader is already a zombie is still exiting. A multi-threaded
     * process (node, the JVM) killed by a signal shows its leader as Z while the other threads are still in
     * their exit, and those still hold the shared file table, so its listening sockets: the process is not
     * gone until the last thread is (seen as a port not yet bindable right after the group looked empty).
     */
    private static boolean anyThreadAlive(long pid) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(PROC.resolve(pid + "/task"))) {
            for (Path t : tasks) {
                try {
                    String s = Files.readString(t.resolve("stat"));
                    if (alive(s.substring(s.lastIndexOf(')') + 2).trim().charAt(0))) {
                        return true;
                    }
                } catch (IOException | RuntimeException e) {
                    // that thread is gone
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return false;
    }

    private static List<Long> allPids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC)) {
            for (Path p : dir) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && Character.isDigit(name.charAt(0))) {
                    try {
                        pids.add(Long.parseLong(name));
                    } catch (NumberFormatException e) {
                        // not a pid directory
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /proc", e);
        }
        return pids;
    }

    private static long ownGroup() {
        return stat(ProcessHandle.current().pid()).map(Stat::pgrp).orElse(-1L);
    }
}
