package dev.skewgate.backends;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One supervised backend process: started in its own process group on a port of its own, probed until ready,
 * restarted on the same port with PM2-style exponential backoff when it exits, and stopped gracefully (drain,
 * SIGTERM, kill timeout, SIGKILL of the whole group).
 *
 * <p>Nothing here blocks a scheduler thread for long: probes are asynchronous and the stop sequence is a chain of
 * short scheduled polls, so one small scheduler serves every instance. All state changes hold this object's lock;
 * events are called after it is released so an owner that calls back into an instance cannot deadlock.
 */
public final class Instance {

    private static final Logger LOG = LoggerFactory.getLogger(Instance.class);
    /** Definitive answers in a row before a start fails (as the readiness probes of external backends). */
    static final int DEFINITIVE_TRIES = 3;
    /** A process that refuses on PORT this long after its start while it listens elsewhere listens on the wrong port. */
    static final Duration WRONG_PORT_AFTER = Duration.ofSeconds(2);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    /** While nothing listens yet, probe this often however long the interval: refused connections are cheap. */
    private static final Duration REFUSED_RETRY = Duration.ofMillis(50);
    private static final long POLL_MS = 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where an instance is in its life. */
    public enum State { STARTING, READY, RESTARTING, FAILING, STOPPING, STOPPED }

    /**
     * Supervision timings. Production uses {@link #DEFAULT} (PM2's exp-backoff: 100 ms, x1.5, at most 15 s, reset
     * after 30 s of running; 5 restarts in 60 s is a crash loop); tests pass shorter windows.
     */
    record Timing(Duration backoffBase, double backoffFactor, Duration backoffMax, Duration resetAfter,
                  Duration loopWindow, int loopRestarts, Duration healthyFor, Duration adoptedPoll) {
        static final Timing DEFAULT = new Timing(Duration.ofMillis(100), 1.5, Duration.ofSeconds(15),
                Duration.ofSeconds(30), Duration.ofSeconds(60), 5, Duration.ofSeconds(60), Duration.ofMillis(250));
    }

    /** The record file's content: enough for a restarted gateway to recognise the very same process. */
    record Record(long pid, long startTicks, int port, String startedAt, long envRevision) {
    }

    private final InstanceSpec spec;
    private final Readiness readiness;
    private final PortAllocator ports;
    private final InstanceEvents events;
    private final ScheduledExecutorService scheduler;
    private final Timing timing;
    private final int port;
    private final InstanceLog log;
    private final LogPump pump;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    // Guarded by this.
    private State state = State.STARTING;
    private long generation;
    private boolean firstStart;
    private long pid = -1;
    private long startTicks = -1;
    private Process process;
    private Instant startedAt = Instant.now();
    private long envRevision;
    private int restarts;
    private String lastExit;
    private Instant failingSince;
    private Duration nextBackoff;
    private final Deque<Instant> recentRestarts = new ArrayDeque<>();
    private ScheduledFuture<?> pending;
    private ScheduledFuture<?> watcher;
    private boolean stopping;
    /** A process of ours may run in group {@code pid}; false once it exited and its group was killed. */
    private boolean groupLive;
    private CompletableFuture<Void> stopped;
    private int lastStatus = -1;
    /** Answers in a row that waiting cannot change (a redirect, 401/403, 404/405/410): the health path is wrong. */
    private int definitive;
    private long launchedNanos;

    private Instance(InstanceSpec spec, Readiness readiness, PortAllocator ports, InstanceEvents events,
                     ScheduledExecutorService scheduler, Timing timing, int port) {
        this.spec = spec;
        this.readiness = readiness;
        this.ports = ports;
        this.events = events;
        this.scheduler = scheduler;
        this.timing = timing;
        this.port = port;
        this.log = InstanceLog.of(spec);
        this.pump = LogPump.shared();
        this.nextBackoff = timing.backoffBase();
        this.envRevision = spec.envRevision();
    }

    /** Starts the instance on a fresh port; {@link #ready()} says when it answers or why it never will. */
    public static Instance launch(InstanceSpec spec, Readiness readiness, PortAllocator ports, InstanceEvents events,
                                  ScheduledExecutorService scheduler) {
        return launch(spec, readiness, ports, events, scheduler, Timing.DEFAULT);
    }

    static Instance launch(InstanceSpec spec, Readiness readiness, PortAllocator ports, InstanceEvents events,
                           ScheduledExecutorService scheduler, Timing timing) {
        Instance i = new Instance(spec, readiness, ports, events, scheduler, timing, ports.allocate());
        synchronized (i) {
            i.firstStart = true;
            i.startProcess(readiness.probes());
        }
        return i;
    }

    /**
     * Takes over the process a previous gateway started, if {@code runDir/<index>.json} names a pid that is still
     * the same process (same start time in clock ticks, so a reused pid is never taken for ours). Otherwise kills
     * what is left of that process's group (only when the leader is gone, so the group can only be ours), deletes
     * the record and answers empty.
     */
    public static Optional<Instance> adopt(InstanceSpec spec, Readiness readiness, PortAllocator ports,
                                           InstanceEvents events, ScheduledExecutorService scheduler) {
        return adopt(spec, readiness, ports, events, scheduler, Timing.DEFAULT);
    }

    static Optional<Instance> adopt(InstanceSpec spec, Readiness readiness, PortAllocator ports, InstanceEvents events,
                                    ScheduledExecutorService scheduler, Timing timing) {
        Path file = spec.recordFile();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Record r;
        try {
            r = JSON.readValue(file.toFile(), Record.class);
        } catch (IOException e) {
            LOG.warn("unreadable instance record {}: {}", file, e.toString());
            deleteQuietly(file);
            return Optional.empty();
        }
        if (ProcessGroups.alive(r.pid(), r.startTicks())) {
            if (!ports.reserve(r.port())) {
                // Another instance of ours holds that port: two processes cannot both be ours to keep.
                LOG.warn("instance {} of {} (pid {}) holds port {} that is already in use; stopping it",
                        spec.index(), spec.deployment(), r.pid(), r.port());
                ProcessGroups.signalGroup(r.pid(), "KILL");
                deleteQuietly(file);
                return Optional.empty();
            }
            Instance i = new Instance(spec, readiness, ports, events, scheduler, timing, r.port());
            synchronized (i) {
                i.watchAdopted(r);
            }
            return Optional.of(i);
        }
        if (ProcessGroups.startTicks(r.pid()) < 0) {
            // The leader is gone. The kernel does not hand out a pid number while a group of that id still has
            // members, so members of group r.pid() are our backend's children; started no earlier than it, too.
            List<Long> left = ProcessGroups.members(r.pid());
            boolean ours = left.stream().allMatch(m -> ProcessGroups.startTicks(m) >= r.startTicks());
            if (!left.isEmpty() && ours) {
                ProcessGroups.signalGroup(r.pid(), "KILL");
            }
        }
        // else: the pid now belongs to another program; touch nothing.
        deleteQuietly(file);
        return Optional.empty();
    }

    /** Completes when the first start is ready; fails with {@link StartFailure} when it never will be. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    /**
     * Stops for good: no more restarts; waits (at most half the kill timeout) for {@code inFlight} to reach 0,
     * sends SIGTERM to the group, waits until the kill timeout for every member to exit, then SIGKILLs the group.
     * Completes when the group is empty, the record deleted and the port released. Idempotent.
     */
    public CompletableFuture<Void> stop(IntSupplier inFlight) {
        synchronized (this) {
            if (stopped != null) {
                return stopped;
            }
            stopped = new CompletableFuture<>();
            stopping = true;
            state = State.STOPPING;
            generation++;
            cancelTimers();
        }
        if (!ready.isDone()) {
            ready.completeExceptionally(new StartFailure("stopped before it was ready", log.tail(20)));
        }
        long now = System.nanoTime();
        long deadline = now + spec.killTimeout().toNanos();
        long drainUntil = now + spec.killTimeout().toNanos() / 2;
        later(() -> drain(inFlight, drainUntil, deadline), 0);
        return stopped;
    }

    public synchronized State state() {
        return state;
    }

    public int index() {
        return spec.index();
    }

    public int port() {
        return port;
    }

    /** The pid of the group leader (the {@code /bin/sh} that runs the command; also the process group id). */
    public synchronized long pid() {
        return pid;
    }

    /** When the current process started. */
    public synchronized Instant startedAt() {
        return startedAt;
    }

    public synchronized int restarts() {
        return restarts;
    }

    /** The resident memory of the whole process group, 0 while no process runs. */
    public long rssBytes() {
        long p;
        synchronized (this) {
            p = groupLive ? pid : -1;
        }
        return p > 1 ? ProcessGroups.rssBytes(p) : 0;
    }

    /** How the last process ended, e.g. "killed by signal 9 (SIGKILL)". */
    public synchronized Optional<String> lastExit() {
        return Optional.ofNullable(lastExit);
    }

    /** Since when this instance has been crash-looping; stays set until a restart has run 60 s. */
    public synchronized Optional<Instant> failingSince() {
        return Optional.ofNullable(failingSince);
    }

    /** The environment revision the running process was started with (an adopted one: the record's). */
    public synchronized long envRevision() {
        return envRevision;
    }

    public InstanceSpec spec() {
        return spec;
    }

    /** The last {@code n} lines of output, without timestamps, including lines not yet pumped into the log. */
    public List<String> logTail(int n) {
        return log.tail(n);
    }

    /** Forgets the process without touching it, as a gateway that dies would (tests of adoption only). */
    void abandon() {
        synchronized (this) {
            stopping = true;
            generation++;
            cancelTimers();
            state = State.STOPPED;
        }
        pump.unregister(log);
    }

    // ---- starting and probing ----------------------------------------------------------------------------------

    /** Starts a process for a new generation; the caller holds the lock. */
    private void startProcess(int probes) {
        long gen = ++generation;
        Map<String, String> env = new HashMap<>(spec.env());
        env.put("PORT", Integer.toString(port));
        env.put("HOST", "127.0.0.1");
        ProcessGroups.Started s;
        try {
            Files.createDirectories(spec.runDir());
            Files.createDirectories(spec.logDir());
            pump.register(log);
            s = ProcessGroups.start(execIfSimple(spec.run()), spec.dir(), env, spec.rawOutput());
        } catch (IOException | UncheckedIOException e) {
            String why = "could not be started: " + e.getMessage();
            if (firstStart) {
                later(() -> failStart(gen, why), 0);
            } else {
                later(() -> crashed(gen, why), 0);
            }
            return;
        }
        pid = s.pid();
        startTicks = s.startTicks();
        process = s.process();
        groupLive = true;
        startedAt = Instant.now();
        envRevision = spec.envRevision();
        lastStatus = -1;
        definitive = 0;
        launchedNanos = System.nanoTime();
        writeRecord();
        s.process().onExit().thenRun(() -> later(() -> exited(gen), 0));
        long deadline = System.nanoTime() + readiness.timeout().toNanos();
        later(() -> probe(gen, probes, 0, deadline), REFUSED_RETRY.toMillis());
    }

    private void watchAdopted(Record r) {
        long gen = ++generation;
        pid = r.pid();
        startTicks = r.startTicks();
        process = null;
        groupLive = true;
        startedAt = parseInstant(r.startedAt());
        envRevision = r.envRevision();
        pump.register(log);
        // Not our child: no exit notification, so poll; alive() compares start ticks, immune to pid reuse.
        watcher = every(() -> {
            boolean gone;
            synchronized (this) {
                gone = gen == generation && !ProcessGroups.alive(pid, startTicks);
            }
            if (gone) {
                exited(gen);
            }
        }, timing.adoptedPoll().toMillis());
        long deadline = System.nanoTime() + readiness.timeout().toNanos();
        later(() -> probe(gen, 1, 0, deadline), 0);
    }

    private void probe(long gen, int needed, int okSoFar, long deadline) {
        synchronized (this) {
            if (gen != generation || stopping) {
                return;
            }
        }
        if (System.nanoTime() - deadline > 0) {
            neverReady(gen);
            return;
        }
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + spec.healthPath()))
                .timeout(PROBE_TIMEOUT)
                .GET()
                .build();
        HTTP.sendAsync(req, HttpResponse.BodyHandlers.discarding()).whenComplete((resp, err) ->
                later(() -> probed(gen, needed, okSoFar, deadline, resp, err), 0));
    }

    private void probed(long gen, int needed, int okSoFar, long deadline, HttpResponse<Void> resp, Throwable err) {
        synchronized (this) {
            if (gen != generation || stopping) {
                return;
            }
            if (resp != null) {
                lastStatus = resp.statusCode();
                definitive = isDefinitive(lastStatus) ? definitive + 1 : 0;
            }
        }
        if (resp != null && isDefinitive(resp.statusCode()) && definitiveTimes() >= DEFINITIVE_TRIES) {
            notReady(gen, "answered GET " + spec.healthPath() + " on PORT=" + port + " with HTTP " + resp.statusCode()
                    + " " + DEFINITIVE_TRIES + " times in a row" + (resp.statusCode() / 100 == 3
                    ? " (a redirect: the health path must answer 2xx itself)"
                    : " (is " + spec.healthPath() + " the backend's health path? deploy with --health PATH)"));
            return;
        }
        boolean refusedNow = err != null && (err instanceof ConnectException || err.getCause() instanceof ConnectException);
        if (refusedNow && System.nanoTime() - launchedNanos() > WRONG_PORT_AFTER.toNanos()) {
            Set<Integer> others = new TreeSet<>(ProcessGroups.listeningPorts(pidForStop()));
            if (!others.isEmpty() && !others.contains(port)) {
                notReady(gen, "listens on " + String.join(", ", others.stream().map(String::valueOf).toList())
                        + ", not on PORT=" + port + " (read the PORT environment variable)");
                return;
            }
        }
        if (resp != null && resp.statusCode() / 100 == 2) {
            if (okSoFar + 1 >= needed) {
                becameReady(gen);
            } else {
                later(() -> probe(gen, needed, okSoFar + 1, deadline), readiness.interval().toMillis());
            }
            return;
        }
        boolean refused = err != null && (err instanceof ConnectException || err.getCause() instanceof ConnectException);
        long delay = refused ? Math.min(REFUSED_RETRY.toMillis(), readiness.interval().toMillis())
                : readiness.interval().toMillis();
        later(() -> probe(gen, needed, 0, deadline), delay);
    }

    private void becameReady(long gen) {
        synchronized (this) {
            if (gen != generation || stopping) {
                return;
            }
            state = State.READY;
            firstStart = false;
            // A restart that stays up this long ends the crash loop's mark.
            pending = schedule(() -> {
                synchronized (this) {
                    if (gen == generation && state == State.READY) {
                        failingSince = null;
                    }
                }
            }, timing.healthyFor().toMillis());
        }
        ready.complete(null);
        events.ready(this);
    }

    /**
     * {@code exec RUN} when RUN is one simple command (no shell operators, quotes, expansions or assignments): the
     * program then replaces the shell, so the pid shown is the program's and signals reach it directly. Anything
     * else runs under the shell as written (the whole process group is still signalled).
     */
    static String execIfSimple(String run) {
        String trimmed = run.trim();
        if (trimmed.isEmpty() || trimmed.matches("(?s).*[;&|<>()`$\\\\'\"*?~#{}\\[\\]\n].*")) {
            return run;
        }
        String first = trimmed.split("\\s+")[0];
        if (first.contains("=") || java.util.Set.of("exec", "cd", "export", "set", "if", "for", "while", "case", ".",
                "ulimit", "umask", "!", "eval", "trap").contains(first)) {
            return run;
        }
        return "exec " + trimmed;
    }

    /** A refused or wrong answer, or a wrong port, that no wait would change: the start fails now, not at the timeout. */
    private static boolean isDefinitive(int status) {
        return status / 100 == 3 || status == 401 || status == 403 || status == 404 || status == 405 || status == 410;
    }

    private synchronized int definitiveTimes() {
        return definitive;
    }

    private synchronized long launchedNanos() {
        return launchedNanos;
    }

    private void notReady(long gen, String why) {
        String reason = isFirstStart() ? why : "did not become ready again: " + why;
        if (isFirstStart()) {
            failStart(gen, reason);
        } else {
            crashed(gen, reason);
        }
    }

    private void neverReady(long gen) {
        String why;
        synchronized (this) {
            if (gen != generation || stopping) {
                return;
            }
            Set<Integer> others = new TreeSet<>(ProcessGroups.listeningPorts(pid));
            others.remove(port);
            if (!others.isEmpty()) {
                why = "listens on " + String.join(", ", others.stream().map(String::valueOf).toList())
                        + ", not on PORT=" + port + " (read the PORT environment variable)";
            } else {
                why = "never answered 2xx on PORT=" + port + " " + spec.healthPath() + " within "
                        + human(readiness.timeout())
                        + (lastStatus > 0 ? " (last answer: HTTP " + lastStatus + ")" : "");
            }
            if (!firstStart) {
                why = "did not become ready again: " + why;
            }
        }
        String reason = why;
        if (isFirstStart()) {
            failStart(gen, reason);
        } else {
            crashed(gen, reason);
        }
    }

    private synchronized boolean isFirstStart() {
        return firstStart;
    }

    /** The first start failed: nothing will be retried; the group is killed and the port given back. */
    private void failStart(long gen, String reason) {
        synchronized (this) {
            if (gen != generation || stopping) {
                return;
            }
            generation++;
            stopping = true;
            state = State.STOPPING;
            cancelTimers();
        }
        killAndWait(pidForStop());
        synchronized (this) {
            groupLive = false;
        }
        pump.unregister(log);
        List<String> tail = log.tail(20);
        cleanUp();
        ready.completeExceptionally(new StartFailure(reason, tail));
    }

    // ---- supervision -------------------------------------------------------------------------------------------

    private void exited(long gen) {
        String why;
        synchronized (this) {
            if (gen != generation || stopping) {
                return;
            }
            why = describeExit();
            lastExit = why;
        }
        if (isFirstStart()) {
            failStart(gen, whyBeforeReady());
        } else {
            crashed(gen, why);
        }
    }

    private void crashed(long gen, String why) {
        boolean nowFailing = false;
        int inWindow;
        synchronized (this) {
            if (gen != generation || stopping) {
                return;
            }
            generation++;
            cancelTimers();
            if (pid > 1 && !ProcessGroups.members(pid).isEmpty()) {
                // The leader is gone but children of it may live on (and hold the port we restart on).
                ProcessGroups.signalGroup(pid, "KILL");
            }
            // From here on the group id is not ours to signal: once empty, its number may be handed out again.
            groupLive = false;
            Instant now = Instant.now();
            if (Duration.between(startedAt, now).compareTo(timing.resetAfter()) >= 0) {
                nextBackoff = timing.backoffBase();
            }
            recentRestarts.addLast(now);
            while (Duration.between(recentRestarts.peekFirst(), now).compareTo(timing.loopWindow()) > 0) {
                recentRestarts.removeFirst();
            }
            inWindow = recentRestarts.size();
            if (inWindow >= timing.loopRestarts() && failingSince == null) {
                failingSince = now;
                nowFailing = true;
            }
            Duration delay = failingSince != null ? timing.backoffMax() : nextBackoff;
            nextBackoff = min(Duration.ofNanos((long) (nextBackoff.toNanos() * timing.backoffFactor())),
                    timing.backoffMax());
            state = failingSince != null ? State.FAILING : State.RESTARTING;
            pending = schedule(this::restart, delay.toMillis());
        }
        LOG.info("instance {} of {} is down: {}", spec.index(), spec.deployment(), why);
        events.down(this, why);
        if (nowFailing) {
            events.failing(this, why + "; restarted " + inWindow + " times within " + human(timing.loopWindow()));
        }
    }

    private void restart() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            restarts++;
            // One healthy probe is enough after a crash: the instance was ready before, get it back fast.
            startProcess(1);
        }
    }

    // ---- stopping ----------------------------------------------------------------------------------------------

    private void drain(IntSupplier inFlight, long drainUntil, long deadline) {
        int busy;
        try {
            busy = inFlight.getAsInt();
        } catch (RuntimeException e) {
            busy = 0;
        }
        if (busy > 0 && System.nanoTime() - drainUntil < 0) {
            later(() -> drain(inFlight, drainUntil, deadline), POLL_MS);
            return;
        }
        long group = pidForStop();
        if (group > 1 && !ProcessGroups.members(group).isEmpty()) {
            ProcessGroups.signalGroup(group, "TERM");
            later(() -> awaitExit(group, deadline), POLL_MS);
        } else {
            finishStop();
        }
    }

    private void awaitExit(long group, long deadline) {
        if (ProcessGroups.members(group).isEmpty()) {
            finishStop();
        } else if (System.nanoTime() - deadline >= 0) {
            LOG.info("instance {} of {} did not exit within {} of SIGTERM; SIGKILL", spec.index(),
                    spec.deployment(), human(spec.killTimeout()));
            ProcessGroups.signalGroup(group, "KILL");
            later(() -> awaitKilled(group, System.nanoTime() + Duration.ofSeconds(5).toNanos()), POLL_MS);
        } else {
            later(() -> awaitExit(group, deadline), POLL_MS);
        }
    }

    private void awaitKilled(long group, long giveUp) {
        if (ProcessGroups.members(group).isEmpty() || System.nanoTime() - giveUp >= 0) {
            finishStop();
        } else {
            later(() -> awaitKilled(group, giveUp), POLL_MS);
        }
    }

    private void finishStop() {
        try {
            pump.unregister(log);
        } catch (RuntimeException e) {
            LOG.warn("last log pump of instance {} of {}: {}", spec.index(), spec.deployment(), e.toString());
        }
        cleanUp();
        synchronized (this) {
            state = State.STOPPED;
            groupLive = false;
        }
        stopped.complete(null);
    }

    private synchronized long pidForStop() {
        return groupLive ? pid : -1;
    }

    private void cleanUp() {
        deleteRecordIfOurs();
        ports.release(port);
        synchronized (this) {
            state = State.STOPPED;
        }
    }

    private static void killAndWait(long group) {
        if (group <= 1) {
            return;
        }
        if (!ProcessGroups.members(group).isEmpty()) {
            ProcessGroups.signalGroup(group, "KILL");
        }
        long giveUp = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (!ProcessGroups.members(group).isEmpty() && System.nanoTime() - giveUp < 0) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---- bits --------------------------------------------------------------------------------------------------

    private synchronized String describeExit() {
        if (process == null) {
            return "exited (status unknown: an earlier gateway process started it)";
        }
        int code = process.exitValue();
        if (code > 128 && code < 160) {
            return "killed by signal " + (code - 128) + signalName(code - 128);
        }
        return "exited with status " + code;
    }

    private synchronized String whyBeforeReady() {
        if (process == null) {
            return "exited before it was ready";
        }
        int code = process.exitValue();
        if (code > 128 && code < 160) {
            return "was killed by signal " + (code - 128) + signalName(code - 128) + " before it was ready";
        }
        String hint = switch (code) {
            case 127 -> ": command not found";
            case 126 -> ": command not executable";
            default -> "";
        };
        return "exited with status " + code + " before it was ready" + hint;
    }

    private static String signalName(int n) {
        return switch (n) {
            case 1 -> " (SIGHUP)";
            case 2 -> " (SIGINT)";
            case 6 -> " (SIGABRT)";
            case 9 -> " (SIGKILL)";
            case 11 -> " (SIGSEGV)";
            case 15 -> " (SIGTERM)";
            default -> "";
        };
    }

    private void writeRecord() {
        Record r = new Record(pid, startTicks, port, startedAt.toString(), envRevision);
        Path file = spec.recordFile();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(tmp)) {
                JSON.writeValue(out, r);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // Without a record a restarted gateway cannot adopt this process; it still runs and is supervised.
            LOG.warn("cannot write instance record {}: {}", file, e.toString());
        }
    }

    /** The record may name the new instance of this index already (a restart's overlap): then it stays. */
    private void deleteRecordIfOurs() {
        Path file = spec.recordFile();
        try {
            if (Files.exists(file) && JSON.readValue(file.toFile(), Record.class).pid() != pidForRecord()) {
                return;
            }
        } catch (IOException e) {
            // unreadable: ours to delete
        }
        deleteQuietly(file);
    }

    private synchronized long pidForRecord() {
        return pid;
    }

    private void cancelTimers() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
        if (watcher != null) {
            watcher.cancel(false);
            watcher = null;
        }
    }

    private void later(Runnable r, long delayMs) {
        schedule(r, delayMs);
    }

    private ScheduledFuture<?> schedule(Runnable r, long delayMs) {
        try {
            return scheduler.schedule(guarded(r), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // The gateway is shutting down; its processes are stopped (or adopted next time) by then.
            return null;
        }
    }

    private ScheduledFuture<?> every(Runnable r, long periodMs) {
        try {
            return scheduler.scheduleWithFixedDelay(guarded(r), periodMs, periodMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    private Runnable guarded(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("instance {} of {}: {}", spec.index(), spec.deployment(), e.toString(), e);
            }
        };
    }

    private static Instant parseInstant(String s) {
        try {
            return Instant.parse(s);
        } catch (RuntimeException e) {
            return Instant.now();
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", p, e.toString());
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** 30s, 1.5s, 500ms: as a person would write it in a message. */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        if (ms > 1000) {
            return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        return ms + "ms";
    }
}
