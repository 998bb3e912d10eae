package dev.skewgate.backends;

import dev.skewgate.control.BackendProcesses;
import dev.skewgate.control.Running;
import dev.skewgate.model.Backend;
import dev.skewgate.model.ConflictException;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.Durations;
import dev.skewgate.model.ManagedBackend;
import dev.skewgate.model.NotFoundException;
import dev.skewgate.model.Site;
import dev.skewgate.routing.InstancePool;
import dev.skewgate.snapshot.SnapshotCompiler;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.Store;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the backends that deployments bring as folders: each deployment's instances follow its state (active and
 * previous ones run, retired ones are drained and stopped, idle ones sleep until their next request), crashed
 * instances are restarted by {@link Instance}, and a gateway that restarts adopts what still runs.
 *
 * <p>Every start and stop of one deployment runs under that deployment's lock on a worker thread; decisions about a
 * site (after each committed change) are cheap reads of the store that only queue those tasks, so a slow backend
 * start never holds up a retire elsewhere.
 */
public final class Supervisor implements BackendProcesses, SnapshotCompiler.Pools, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    /** The release phase is bounded: a migration that hangs must not hold an activation forever. */
    static final Duration RELEASE_TIMEOUT = Duration.ofMinutes(10);
    /** A staged deployment started for its activation checks or a preview, then left alone, stops after this. */
    static final Duration STAGED_IDLE = Duration.ofMinutes(10);
    /** Memory replacements within the window that show instances start over their bound: replacing stops. */
    static final int MEMORY_LOOP_REPLACEMENTS = 3;
    static final Duration MEMORY_LOOP_WINDOW = Duration.ofMinutes(5);
    private static final int TAIL_LINES = 20;
    /** What a backend inherits from the gateway's own environment; everything else comes from the site and deploy. */
    private static final List<String> INHERITED = List.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL",
            "LC_CTYPE", "TZ", "TMPDIR");

    /** What a deployment's processes are doing as a whole. */
    enum Phase { STOPPED, STARTING, RUNNING, STOPPING, SLEEPING }

    private final Store store;
    private final Path dataDir;
    private final Running running;
    private final BackendDirs dirs;
    private final PortAllocator ports = new PortAllocator();
    private final Map<String, Group> groups = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    private final ExecutorService workers;
    private volatile Rollback rollback = (site, why) -> { };
    private volatile boolean closed;

    /** Rolls a site back (the control plane's), for a crash-looping active deployment. */
    public interface Rollback {
        void rollback(String site, String why);
    }

    public Supervisor(Store store, BlobStore blobs, Path dataDir, Running running) {
        this.store = store;
        // Absolute: a backend's working directory and the folder checks must not depend on the gateway's cwd
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.running = running;
        this.dirs = new BackendDirs(this.dataDir.resolve("backends"), blobs);
        AtomicInteger n = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(2, r -> daemon(r, "skewgate-instances-" + n.incrementAndGet()));
        this.workers = Executors.newCachedThreadPool(r -> daemon(r, "skewgate-backend-" + n.incrementAndGet()));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Connects the control plane's rollback, once it exists (it is built with this supervisor as its port). */
    public void rollbackWith(Rollback rollback) {
        this.rollback = rollback;
    }

    /**
     * Adopts the instances a previous gateway left running (same pid and start time), stops those of deployments that
     * no longer run, and starts what is missing. Then watches idleness and memory.
     */
    public void start() {
        dirs.clean();
        Path runRoot = dataDir.resolve("run");
        try {
            Files.createDirectories(runRoot);
            try (Stream<Path> list = Files.list(runRoot)) {
                for (Path dir : list.filter(Files::isDirectory).toList()) {
                    adopt(dir.getFileName().toString(), dir);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot read {}: {}; instances a previous gateway left running are not adopted", runRoot,
                    e.toString());
        }
        for (Site site : store.sites()) {
            changed(site.name());
        }
        for (String site : store.deletedSites()) {
            changed(site);
        }
        scheduler.scheduleWithFixedDelay(this::watch, 1, 1, TimeUnit.SECONDS);
    }

    private void adopt(String deploymentId, Path runDir) {
        Optional<Deployment> d = store.deployment(deploymentId);
        Group g = group(deploymentId);
        List<Integer> indices = new ArrayList<>();
        try (Stream<Path> files = Files.list(runDir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{1,4}\\.json"))
                    .forEach(n -> indices.add(Integer.parseInt(n.substring(0, n.length() - 5))));
        } catch (IOException e) {
            LOG.warn("cannot read {}: {}", runDir, e.toString());
            return;
        }
        if (indices.isEmpty()) {
            return;
        }
        String site = d.map(Deployment::site).orElse("unknown");
        Optional<Backend> backend = d.flatMap(Deployment::backend).filter(Backend::isManaged);
        g.lock.lock();
        try {
            g.site = site;
            backend.ifPresent(b -> g.backend = b);
            for (int index : indices) {
                InstanceSpec spec = backend.isPresent() ? spec(g, index, currentEnv(site, deploymentId))
                        : new InstanceSpec(site, deploymentId, index, runDir, "true", Map.of(), "/",
                        Duration.ofSeconds(5), runDir, logDir(site, deploymentId), 0);
                Instance.adopt(spec, readiness(site), ports, events(g), scheduler).ifPresent(i -> {
                    LOG.info("deployment {}: adopted instance {} (pid {}, port {}) left running by the previous gateway",
                            deploymentId, i.index(), i.pid(), i.port());
                    g.instances.add(i);
                });
            }
            if (!g.instances.isEmpty()) {
                g.phase = Phase.RUNNING;
                g.runningSince = System.currentTimeMillis();
            }
            refresh(g);
        } finally {
            g.lock.unlock();
        }
    }

    // ---- the port the control plane uses ----

    @Override
    public InstancePool pool(String deployment) {
        return group(deployment).pool;
    }

    @Override
    public Optional<NotReady> prepare(Site site, Deployment deployment, Consumer<String> progress) {
        Group g = group(deployment.id());
        try {
            ensureRunning(g, deployment, progress);
            return Optional.empty();
        } catch (Refused r) {
            return Optional.of(new NotReady(r.code, r.getMessage()));
        }
    }

    @Override
    public void changed(String site) {
        if (closed) {
            return;
        }
        workers.execute(() -> {
            try {
                reconcile(site);
            } catch (RuntimeException e) {
                LOG.warn("site {}: deciding which backend instances run failed: {}", site, e.toString());
            }
        });
    }

    /** Starts, stops or leaves each managed deployment of the site according to its state. */
    private void reconcile(String site) {
        for (Deployment d : store.deployments(site)) {
            if (d.backend().filter(Backend::isManaged).isEmpty()) {
                continue;
            }
            Group g = group(d.id());
            g.site = site;
            g.state = d.state();
            switch (d.state()) {
                case ACTIVE -> {
                    if (g.phase == Phase.STOPPED || g.phase == Phase.SLEEPING) {
                        startInBackground(g, d, "it is active");
                    }
                }
                case PREVIOUS -> {
                    boolean sleeps = d.backend().get().managed().get().idleStop().isPresent();
                    if (g.phase == Phase.STOPPED && !(sleeps && g.neverRan())) {
                        startInBackground(g, d, "it serves pinned tabs");
                    } else if (g.phase == Phase.STOPPED) {
                        g.phase = Phase.SLEEPING; // after a gateway restart: its next pinned request starts it
                    }
                }
                case RETIRED -> stopInBackground(g, "retired", false);
                case PURGED -> {
                    stopInBackground(g, "purged", false);
                    workers.execute(() -> {
                        g.lock.lock();
                        try {
                            dirs.remove(d.id());
                            BackendDirs.delete(dataDir.resolve("run").resolve(d.id()));
                            BackendDirs.delete(logDir(site, d.id()));
                        } finally {
                            g.lock.unlock();
                        }
                    });
                }
                default -> {
                }
            }
        }
    }

    private void startInBackground(Group g, Deployment d, String why) {
        workers.execute(() -> {
            try {
                ensureRunning(g, d, step -> { });
                LOG.info("deployment {}: {} instance(s) running ({})", d.id(), g.instances.size(), why);
            } catch (Refused r) {
                LOG.warn("deployment {}: its backend did not start: {}", d.id(), r.getMessage());
            } catch (RuntimeException e) {
                LOG.warn("deployment {}: starting its backend failed: {}", d.id(), e.toString());
            }
        });
    }

    private void stopInBackground(Group g, String why, boolean sleep) {
        if (g.instances.isEmpty() && g.phase == Phase.STOPPED) {
            return;
        }
        workers.execute(() -> stop(g, why, sleep));
    }

    // ---- starting ----

    /** Makes the deployment's instances ready; waits for a start already under way. */
    private void ensureRunning(Group g, Deployment deployment, Consumer<String> progress) {
        g.lock.lock();
        try {
            Deployment d = store.deployment(deployment.id()).orElse(deployment);
            if (!d.state().servable()) {
                throw new Refused("DEPLOYMENT_RETIRED", "deployment " + d.id() + " is " + d.state().wire());
            }
            Backend backend = d.backend().filter(Backend::isManaged).orElseThrow(() -> new Refused("NO_BACKEND",
                    "deployment " + d.id() + " has no backend folder to run"));
            ManagedBackend spec = backend.managed().get();
            g.site = d.site();
            g.backend = backend;
            g.state = d.state();
            long ready = g.instances.stream().filter(i -> i.state() == Instance.State.READY).count();
            if (g.phase == Phase.RUNNING && ready >= spec.instances()) {
                return;
            }
            g.phase = Phase.STARTING;
            g.startError = Optional.empty();
            try {
                progress.accept("writing the backend folder (" + spec.fileCount() + " files)");
                Path dir = dirs.materialize(d.id(), store.backendFiles(d.id()));
                Map<String, String> env = currentEnv(d.site(), d.id());
                if (spec.release().isPresent() && store.releasedAt(d.id()).isEmpty()) {
                    progress.accept("running the release command: " + spec.release().get());
                    release(d, spec.release().get(), dir, env);
                }
                Set<Integer> used = new TreeSet<>();
                g.instances.forEach(i -> used.add(i.index()));
                List<Instance> launched = new ArrayList<>();
                int missing = spec.instances() - g.instances.size();
                progress.accept("starting " + missing + " instance(s) of " + d.id());
                for (int index = 1; launched.size() < missing; index++) {
                    if (used.contains(index)) {
                        continue;
                    }
                    launched.add(Instance.launch(spec(g, index, env), readiness(d.site()), ports, events(g), scheduler));
                }
                g.instances.addAll(launched);
                for (Instance i : launched) {
                    try {
                        i.ready().join();
                        progress.accept("instance " + i.index() + " is ready on port " + i.port());
                    } catch (CompletionException e) {
                        Throwable cause = e.getCause();
                        String reason = cause instanceof StartFailure f ? f.reason() : String.valueOf(cause);
                        List<String> tail = cause instanceof StartFailure f ? f.logTail() : i.logTail(TAIL_LINES);
                        for (Instance other : launched) {
                            other.stop(() -> 0).join();
                        }
                        g.instances.removeAll(launched);
                        throw new Refused("BACKEND_NOT_READY", "instance " + i.index() + " of deployment " + d.id()
                                + " " + reason + withTail(tail));
                    }
                }
                g.phase = Phase.RUNNING;
                g.runningSince = System.currentTimeMillis();
                refresh(g);
            } catch (Refused r) {
                g.phase = g.instances.isEmpty() ? Phase.STOPPED : Phase.RUNNING;
                g.startError = Optional.of(r.getMessage());
                refresh(g);
                g.failWaiters(r.getMessage());
                throw r;
            } catch (RuntimeException e) {
                g.phase = g.instances.isEmpty() ? Phase.STOPPED : Phase.RUNNING;
                g.startError = Optional.of(String.valueOf(e.getMessage()));
                refresh(g);
                throw new Refused("BACKEND_NOT_READY", "the backend of " + d.id() + " could not start: " + e.getMessage());
            }
        } finally {
            g.lock.unlock();
            g.wakeWaiters();
        }
    }

    private void release(Deployment d, String command, Path dir, Map<String, String> env) {
        Path out = dataDir.resolve("run").resolve(d.id()).resolve("release.out");
        ProcessGroups.Result result;
        try {
            Files.createDirectories(out.getParent());
            Files.deleteIfExists(out); // a retry's tail shows this attempt only
            result = ProcessGroups.runOnce(command, dir, env, out, RELEASE_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refused("RELEASE_FAILED", "the gateway stopped while the release command of " + d.id() + " ran");
        } catch (IOException e) {
            throw new Refused("RELEASE_FAILED", "the release command of " + d.id() + " could not start: "
                    + e.getMessage());
        }
        if (result.timedOut()) {
            Optional.ofNullable(groups.get(d.id())).ifPresent(x -> x.releaseFailed = true);
            throw new Refused("RELEASE_FAILED", "the release command '" + command + "' of " + d.id()
                    + " did not finish within " + Durations.format(RELEASE_TIMEOUT) + withTail(result.tail()));
        }
        int code = result.exitCode().orElse(-1);
        Group g = groups.get(d.id());
        if (g != null) {
            g.releaseFailed = result.timedOut() || code != 0;
        }
        if (code != 0) {
            throw new Refused("RELEASE_FAILED", "the release command '" + command + "' of " + d.id()
                    + " exited with status " + code + (code == 127 ? " (command not found)" : "")
                    + "; nothing was activated" + withTail(result.tail()));
        }
        store.markReleased(d.id(), Instant.now());
        LOG.info("deployment {}: release command succeeded", d.id());
    }

    private static String withTail(List<String> tail) {
        return tail.isEmpty() ? " (it wrote nothing)" : "; its last lines:\n" + String.join("\n", tail);
    }

    private InstanceSpec spec(Group g, int index, Map<String, String> env) {
        ManagedBackend m = g.backend.managed().get();
        return new InstanceSpec(g.site, g.deployment, index, dirs.of(g.deployment), m.run(), env,
                g.backend.healthPath(), m.killTimeout(), dataDir.resolve("run").resolve(g.deployment),
                logDir(g.site, g.deployment), store.env(g.site).revision());
    }

    private Path logDir(String site, String deployment) {
        return dataDir.resolve("logs").resolve(site).resolve(deployment);
    }

    /** Inherited basics, then the site's server-side environment, then the deployment's own, then the gateway's. */
    private Map<String, String> currentEnv(String site, String deployment) {
        Map<String, String> env = new HashMap<>();
        for (String name : INHERITED) {
            String v = System.getenv(name);
            if (v != null) {
                env.put(name, v);
            }
        }
        env.putAll(store.env(site).values());
        env.putAll(store.deploymentEnv(deployment));
        env.put("SKEWGATE_SITE", site);
        env.put("SKEWGATE_DEPLOYMENT", deployment);
        return env;
    }

    private Readiness readiness(String site) {
        Optional<Site> s = store.site(site);
        int probes = s.map(x -> Math.max(1, x.checks().readinessProbes())).orElse(1);
        Duration timeout = s.map(x -> x.checks().readinessTimeout()).orElse(Duration.ofSeconds(30));
        return new Readiness(probes, Duration.ofMillis(100), timeout);
    }

    // ---- waking ----

    /** A request found no ready instance: start a sleeping deployment, and wait (bounded) for one. */
    private CompletionStage<Void> wake(Group g) {
        if (!g.pool.ready().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> waiter = g.waiter();
        Duration timeout = readiness(g.site == null ? "" : g.site).timeout();
        if (g.phase == Phase.SLEEPING || g.phase == Phase.STOPPED) {
            Optional<Deployment> d = store.deployment(g.deployment);
            Optional<String> release = d.flatMap(x -> x.backend()).flatMap(Backend::managed)
                    .flatMap(ManagedBackend::release);
            if (d.isPresent() && d.get().state() == DeploymentState.STAGED && release.isPresent()
                    && store.releasedAt(d.get().id()).isEmpty()) {
                // A preview must not run a migration: the release command runs when someone activates the version.
                g.failWaiters(g.releaseFailed ? "its release command failed; it runs again when the deployment is "
                        + "activated" : "its release command has not run yet (it runs when the deployment is activated)");
            } else if (d.isPresent() && d.get().state().servable()) {
                g.site = d.get().site();
                LOG.info("deployment {}: a request arrived while it {}; starting it", g.deployment,
                        g.phase == Phase.SLEEPING ? "slept" : "was stopped");
                workers.execute(() -> {
                    try {
                        ensureRunning(g, d.get(), step -> { });
                    } catch (RuntimeException e) {
                        g.failWaiters(e.getMessage());
                    }
                });
            }
        }
        return waiter.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionally(e -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof java.util.concurrent.TimeoutException) {
                throw new CompletionException(new IllegalStateException("no instance became ready within "
                        + Durations.format(timeout) + g.startError.map(s -> " (" + firstLine(s) + ")").orElse("")));
            }
            throw new CompletionException(cause);
        });
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    // ---- stopping ----

    /** Drains and stops every instance of the deployment; {@code sleep} when its next request should start it again. */
    private void stop(Group g, String why, boolean sleep) {
        g.lock.lock();
        try {
            if (g.instances.isEmpty()) {
                g.phase = sleep ? Phase.SLEEPING : Phase.STOPPED;
                return;
            }
            g.phase = Phase.STOPPING;
            List<Instance> all = List.copyOf(g.instances);
            g.draining.addAll(all);
            refresh(g);
            long t0 = System.nanoTime();
            List<CompletableFuture<Void>> stops = new ArrayList<>();
            for (Instance i : all) {
                stops.add(i.stop(() -> g.pool.inFlight(i.port())));
            }
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
            g.instances.removeAll(all);
            g.draining.removeAll(all);
            g.phase = sleep ? Phase.SLEEPING : Phase.STOPPED;
            refresh(g);
            LOG.info("deployment {}: {} instance(s) stopped in {} ms ({})", g.deployment, all.size(),
                    (System.nanoTime() - t0) / 1_000_000, why);
        } finally {
            g.lock.unlock();
        }
    }

    @Override
    public List<InstanceStatus> restart(String deployment) {
        Group g = groups.get(deployment);
        Deployment d = store.deployment(deployment).orElseThrow(() -> new NotFoundException("DEPLOYMENT_NOT_FOUND",
                "no deployment " + deployment));
        if (d.backend().filter(Backend::isManaged).isEmpty()) {
            throw new ConflictException("NOT_MANAGED", "deployment " + deployment + " has no backend the gateway runs");
        }
        if (g == null || g.phase != Phase.RUNNING) {
            throw new ConflictException("NOT_RUNNING", "deployment " + deployment + "'s backend is not running ("
                    + (g == null ? "stopped" : g.phase.name().toLowerCase()) + "); nothing to restart");
        }
        g.lock.lock();
        try {
            Map<String, String> env = currentEnv(g.site, deployment);
            for (Instance old : List.copyOf(g.instances)) {
                replace(g, old, env, "restart");
            }
            return instances(deployment);
        } finally {
            g.lock.unlock();
        }
    }

    /**
     * Starts a new instance beside {@code old} (on a new port, with {@code env}), and once it is ready takes {@code old}
     * out of the pool, drains and stops it: a replacement that never leaves the deployment without an instance.
     */
    private void replace(Group g, Instance old, Map<String, String> env, String why) {
        // The replacement keeps the number (and so the log file) of the one it replaces; for the moment both run,
        // Instance keeps their run records and log registrations apart.
        Instance fresh = Instance.launch(spec(g, old.index(), env), readiness(g.site), ports, events(g), scheduler);
        try {
            fresh.ready().join();
        } catch (CompletionException e) {
            fresh.stop(() -> 0).join();
            Throwable cause = e.getCause();
            throw new ConflictException("BACKEND_NOT_READY", "the replacement of instance " + old.index() + " of "
                    + g.deployment + " " + (cause instanceof StartFailure f ? f.reason() + withTail(f.logTail())
                    : String.valueOf(cause)) + "; the old instance keeps running");
        }
        g.instances.add(fresh);
        g.draining.add(old);
        refresh(g);
        old.stop(() -> g.pool.inFlight(old.port())).join();
        g.instances.remove(old);
        g.draining.remove(old);
        refresh(g);
        LOG.info("deployment {}: instance {} replaced (port {} -> {}; {})", g.deployment, old.index(), old.port(),
                fresh.port(), why);
    }

    // ---- watching: idleness, memory ----

    private void watch() {
        long now = System.currentTimeMillis();
        for (Group g : groups.values()) {
            try {
                if (g.phase != Phase.RUNNING || g.backend == null || g.busy.get()) {
                    continue;
                }
                ManagedBackend m = g.backend.managed().get();
                Optional<Duration> idle = g.state == DeploymentState.PREVIOUS ? m.idleStop()
                        : g.state == DeploymentState.STAGED ? Optional.of(m.idleStop().orElse(STAGED_IDLE))
                        : Optional.empty();
                if (idle.isPresent()) {
                    long last = Math.max(g.pool.lastRequestMillis(), g.runningSince);
                    int tabs = running.openTabs(g.site).getOrDefault(g.deployment, 0);
                    if (tabs == 0 && now - last >= idle.get().toMillis()) {
                        sleep(g, idle.get());
                        continue;
                    }
                }
                if (m.maxMemoryBytes().isPresent()) {
                    for (Instance i : List.copyOf(g.instances)) {
                        if (i.state() == Instance.State.READY && !g.draining.contains(i)
                                && i.rssBytes() > m.maxMemoryBytes().getAsLong()) {
                            overMemory(g, i, m.maxMemoryBytes().getAsLong());
                            break;
                        }
                    }
                }
            } catch (RuntimeException e) {
                LOG.warn("deployment {}: watching its instances failed: {}", g.deployment, e.toString());
            }
        }
    }

    private void sleep(Group g, Duration idle) {
        if (!g.busy.compareAndSet(false, true)) {
            return;
        }
        workers.execute(() -> {
            try {
                stop(g, "no request and no open tab for " + Durations.format(idle) + "; sleeping until its next "
                        + "request", true);
            } finally {
                g.busy.set(false);
            }
        });
    }

    private void overMemory(Group g, Instance i, long max) {
        if (!g.busy.compareAndSet(false, true)) {
            return;
        }
        long rss = i.rssBytes();
        LOG.warn("deployment {}: instance {} uses {} MiB, over its limit of {} MiB; replacing it", g.deployment,
                i.index(), rss >> 20, max >> 20);
        workers.execute(() -> {
            g.lock.lock();
            try {
                if (g.instances.contains(i) && g.phase == Phase.RUNNING) {
                    long now = System.currentTimeMillis();
                    g.memoryReplacements.removeIf(t -> now - t > MEMORY_LOOP_WINDOW.toMillis());
                    if (g.memoryReplacements.size() >= MEMORY_LOOP_REPLACEMENTS) {
                        // Fresh instances reach the bound at once: replacing them again only churns. Say so, once.
                        String why = "its instances go over --max-memory " + (max >> 20) + " MiB right after they "
                                + "start (" + (rss >> 20) + " MiB): " + MEMORY_LOOP_REPLACEMENTS + " replacements in "
                                + Durations.format(MEMORY_LOOP_WINDOW) + "; no more until it is raised (deploy again "
                                + "with a higher --max-memory) or the gateway restarts";
                        if (g.problem == null) {
                            LOG.error("deployment {}: {}", g.deployment, why);
                        }
                        g.problem = why;
                        return;
                    }
                    replace(g, i, currentEnv(g.site, g.deployment), "memory " + (rss >> 20) + " MiB over "
                            + (max >> 20) + " MiB");
                    g.memoryRestarts++;
                    g.memoryReplacements.add(now);
                }
            } catch (RuntimeException e) {
                LOG.warn("deployment {}: replacing instance {} failed: {}", g.deployment, i.index(), e.getMessage());
            } finally {
                g.lock.unlock();
                g.busy.set(false);
            }
        });
    }

    // ---- events from instances ----

    private InstanceEvents events(Group g) {
        return new InstanceEvents() {
            @Override
            public void ready(Instance instance) {
                refresh(g);
                g.wakeWaiters();
            }

            @Override
            public void down(Instance instance, String why) {
                refresh(g);
                LOG.warn("deployment {}: instance {} (port {}) went down: {}; restarting it", g.deployment,
                        instance.index(), instance.port(), why);
            }

            @Override
            public void failing(Instance instance, String why) {
                g.problem = "instance " + instance.index() + " is crash-looping: " + why;
                LOG.error("deployment {}: instance {} is crash-looping ({}); it keeps being retried", g.deployment,
                        instance.index(), why);
                Optional<Deployment> d = store.deployment(g.deployment);
                boolean active = d.map(x -> x.state() == DeploymentState.ACTIVE).orElse(false);
                boolean auto = g.backend != null && g.backend.managed().get().autoRollback()
                        || store.site(g.site).map(s -> s.checks().autoRollback()).orElse(false);
                if (active && auto && g.rolledBack.compareAndSet(false, true)) {
                    workers.execute(() -> {
                        try {
                            rollback.rollback(g.site, "instance " + instance.index() + " of " + g.deployment
                                    + " is crash-looping: " + why);
                        } catch (RuntimeException e) {
                            LOG.warn("site {}: auto-rollback after the crash loop of {} failed: {}", g.site,
                                    g.deployment, e.getMessage());
                        }
                    });
                }
            }
        };
    }

    /** Publishes the instances that answer now (not those being drained) to the pool. */
    private void refresh(Group g) {
        List<Integer> ready = new ArrayList<>();
        for (Instance i : g.instances) {
            if (i.state() == Instance.State.READY && !g.draining.contains(i)) {
                ready.add(i.port());
            }
        }
        g.pool.ready(ready);
        if (!ready.isEmpty()) {
            g.wakeWaiters();
        }
    }

    // ---- reads ----

    @Override
    public Optional<String> state(String deployment) {
        Group g = groups.get(deployment);
        if (g == null || g.backend == null) {
            return Optional.empty();
        }
        boolean failing = g.instances.stream().anyMatch(i -> i.state() == Instance.State.FAILING
                || i.failingSince().isPresent()) || g.problem != null && !g.problem.contains("crash-looping");
        return Optional.of(failing ? "failing" : g.phase.name().toLowerCase());
    }

    @Override
    public Optional<String> problem(String deployment) {
        Group g = groups.get(deployment);
        if (g == null || g.problem == null) {
            return Optional.empty();
        }
        boolean crashLoop = g.problem.contains("crash-looping");
        boolean stillFailing = g.instances.stream().anyMatch(i -> i.state() == Instance.State.FAILING
                || i.failingSince().isPresent());
        return crashLoop && !stillFailing ? Optional.empty() : Optional.of(g.problem);
    }

    @Override
    public List<InstanceStatus> instances(String deployment) {
        Group g = groups.get(deployment);
        if (g == null) {
            return List.of();
        }
        long now = System.currentTimeMillis();
        List<InstanceStatus> out = new ArrayList<>();
        for (Instance i : g.instances) {
            Instant started = i.startedAt();
            out.add(new InstanceStatus(i.index(), i.pid(), i.port(),
                    g.draining.contains(i) ? "draining" : i.state().name().toLowerCase(),
                    started == null ? 0 : Math.max(0, (now - started.toEpochMilli()) / 1000), i.restarts(),
                    i.rssBytes(), i.envRevision(), i.lastExit()));
        }
        out.sort(java.util.Comparator.comparingInt(InstanceStatus::index));
        return out;
    }

    @Override
    public List<String> logs(String site, String deployment, OptionalInt instance, Optional<Instant> since, int lines) {
        return InstanceLog.read(logDir(site, deployment), instance, since, lines);
    }

    @Override
    public void follow(String site, String deployment, OptionalInt instance, Consumer<String> out, BooleanSupplier stop) {
        try {
            InstanceLog.follow(logDir(site, deployment), instance, Optional.of(Instant.now()), out, stop);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the reader left
        }
    }

    private Group group(String deployment) {
        return groups.computeIfAbsent(deployment, id -> new Group(id, this));
    }

    /**
     * Stops supervising. With {@code stopInstances}, every instance is drained and stopped (nothing is left running);
     * without, they keep running and the next gateway adopts them.
     */
    public void close(boolean stopInstances) {
        closed = true;
        // Instances stop on the scheduler's threads: it is shut down after them.
        if (stopInstances) {
            List<CompletableFuture<Void>> stops = new ArrayList<>();
            for (Group g : groups.values()) {
                for (Instance i : List.copyOf(g.instances)) {
                    stops.add(i.stop(() -> g.pool.inFlight(i.port())));
                }
            }
            try {
                CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).get(11, TimeUnit.MINUTES);
            } catch (Exception e) {
                LOG.warn("not every backend instance stopped cleanly: {}", e.toString());
            }
            if (!stops.isEmpty()) {
                LOG.info("stopped {} backend instance(s)", stops.size());
            }
        } else {
            int left = groups.values().stream().mapToInt(g -> g.instances.size()).sum();
            for (Group g : groups.values()) {
                g.instances.forEach(Instance::abandon);
            }
            if (left > 0) {
                LOG.info("{} backend instance(s) keep running; the next start of the gateway adopts them", left);
            }
        }
        scheduler.shutdownNow();
        workers.shutdownNow();
    }

    @Override
    public void close() {
        close(true);
    }

    /** A deployment's processes and pool; its lock orders every start and stop of it. */
    static final class Group {
        final String deployment;
        final Pool pool;
        final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        final List<Instance> instances = new java.util.concurrent.CopyOnWriteArrayList<>();
        final Set<Instance> draining = ConcurrentHashMap.newKeySet();
        final java.util.concurrent.atomic.AtomicBoolean busy = new java.util.concurrent.atomic.AtomicBoolean();
        final java.util.concurrent.atomic.AtomicBoolean rolledBack = new java.util.concurrent.atomic.AtomicBoolean();
        volatile String site;
        volatile Backend backend;
        volatile DeploymentState state = DeploymentState.STAGED;
        volatile Phase phase = Phase.STOPPED;
        volatile long runningSince;
        volatile Optional<String> startError = Optional.empty();
        volatile int memoryRestarts;
        /** When instances were last replaced for their memory, within {@link #MEMORY_LOOP_WINDOW}. */
        final java.util.Deque<Long> memoryReplacements = new java.util.concurrent.ConcurrentLinkedDeque<>();
        /** Why the backend is failing, for the status; cleared when it runs well again. */
        volatile String problem;
        /** Whether the last run of its release command failed. */
        volatile boolean releaseFailed;
        private CompletableFuture<Void> waiter = new CompletableFuture<>();

        Group(String deployment, Supervisor supervisor) {
            this.deployment = deployment;
            this.pool = new Pool(() -> supervisor.wake(this));
        }

        boolean neverRan() {
            return runningSince == 0;
        }

        synchronized CompletableFuture<Void> waiter() {
            if (waiter.isDone()) {
                waiter = new CompletableFuture<>();
            }
            return waiter;
        }

        synchronized void wakeWaiters() {
            if (!pool.ready().isEmpty()) {
                waiter.complete(null);
            }
        }

        synchronized void failWaiters(String why) {
            waiter.completeExceptionally(new IllegalStateException(firstLine(String.valueOf(why))));
        }
    }

    /** A start refused with a stable code; its message is for the operator (it may carry log lines). */
    static final class Refused extends RuntimeException {
        final String code;

        Refused(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    /** Which states keep their instances running. */
    static final Set<DeploymentState> RUNS = EnumSet.of(DeploymentState.ACTIVE, DeploymentState.PREVIOUS);
}
