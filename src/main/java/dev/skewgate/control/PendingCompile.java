package dev.skewgate.control;

import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.routing.SiteRoute;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles the deployments that the first snapshot left pending (every servable one but the active), after the
 * listeners are bound: site by site on a thread of its own, a site that a request waits for first. Compiling them
 * before binding was half of a start with 1,000 deployments (bench/startup.sh), and an unpinned request needs none.
 */
final class PendingCompile {

    private static final Logger LOG = LoggerFactory.getLogger(PendingCompile.class);

    private final ChangeCore core;
    private final RoutingHolder routing;
    private final Deque<String> queue = new ArrayDeque<>(); // guarded by this
    private volatile boolean stopped;
    private volatile Thread thread;

    PendingCompile(ChangeCore core, RoutingHolder routing) {
        this.core = core;
        this.routing = routing;
    }

    /** @param beforeEach called with each site before its compile, on the compiling thread (tests hold it there) */
    void start(Consumer<String> beforeEach) {
        synchronized (this) {
            routing.current().sites().values().stream().filter(s -> !s.complete()).map(SiteRoute::name).sorted()
                    .forEach(queue::add);
            if (queue.isEmpty()) {
                return;
            }
        }
        routing.onWanted(this::first);
        thread = new Thread(() -> run(beforeEach), "skewgate-compile");
        thread.setDaemon(true);
        thread.start();
    }

    private synchronized void first(String site) {
        if (queue.remove(site)) {
            queue.addFirst(site);
        }
    }

    private synchronized String next() {
        return queue.pollFirst();
    }

    private void run(Consumer<String> beforeEach) {
        long began = System.nanoTime();
        int sites = 0;
        for (String site = next(); site != null && !stopped; site = next()) {
            try {
                beforeEach.accept(site);
                if (core.complete(site)) {
                    sites++;
                }
            } catch (RuntimeException e) {
                if (stopped) {
                    return; // the store closes under it
                }
                LOG.error("site {}: its retained deployments could not be compiled; requests pinned to them get 503 "
                        + "until a change of the site compiles them", site, e);
                routing.failed(site, e);
            }
        }
        LOG.info("compiled the retained deployments of {} site(s) in {} ms", sites,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    }

    /** Stops after the site being compiled, waiting for it (the store closes next). */
    void stop() {
        stopped = true;
        Thread running = thread;
        if (running != null) {
            running.interrupt(); // a test's hold lets go
            try {
                running.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
