package dev.skewgate.control;

import dev.skewgate.store.NodeReport;
import dev.skewgate.store.Nodes;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every {@link #EVERY}, publishes this node's report to the store and fetches the others' for the {@link ClusterView},
 * on a thread of its own (never an event loop). A store that cannot be reached is one WARN line when it starts and
 * one INFO line when it ends; the node keeps serving and keeps its own counters meanwhile.
 */
public final class NodeHeartbeat implements AutoCloseable {

    static final Duration EVERY = Duration.ofSeconds(3);
    private static final Logger LOG = LoggerFactory.getLogger(NodeHeartbeat.class);

    private final Nodes nodes;
    private final ClusterView view;
    private final Running local;
    private final String node;
    private final String address;
    private final Instant startedAt;
    private final Supplier<Map<String, String>> serving;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "skewgate-heartbeat");
        t.setDaemon(true);
        return t;
    });
    private boolean failing;
    private final java.util.concurrent.atomic.AtomicBoolean queued = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * @param local this node's own counters (not the cluster view)
     * @param serving the active deployment of each site in this node's snapshot
     */
    public NodeHeartbeat(Nodes nodes, ClusterView view, Running local, String node, String address, Instant startedAt,
                         Supplier<Map<String, String>> serving) {
        this.nodes = nodes;
        this.view = view;
        this.local = local;
        this.node = node;
        this.address = address;
        this.startedAt = startedAt;
        this.serving = serving;
    }

    public void start() {
        view.beatNow(this::soon);
        timer.scheduleWithFixedDelay(this::beat, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * One heartbeat as soon as the heartbeat thread is free (after a snapshot swap: the others wait on it). Swaps in a
     * burst (a start compiles site after site) share one beat: a beat already queued reports them all.
     */
    public void soon() {
        if (!queued.compareAndSet(false, true)) {
            return;
        }
        try {
            timer.execute(() -> {
                queued.set(false);
                beat();
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            queued.set(false); // stopping
        }
    }

    /** One heartbeat now (tests call it to skip the wait). */
    public void beat() {
        try {
            nodes.publish(report());
            view.seen(nodes.nodes());
            if (failing) {
                LOG.info("node heartbeat: the store answers again");
                failing = false;
            }
        } catch (RuntimeException e) {
            if (!failing) {
                LOG.warn("node heartbeat: cannot reach the store ({}); serving on, the other nodes' counts age out",
                        e.getMessage());
                failing = true;
            }
        }
    }

    NodeReport report() {
        Map<String, NodeReport.Counts> counts = new HashMap<>();
        for (String d : local.counted()) {
            Running.Activity a = local.activity(d);
            counts.put(d, new NodeReport.Counts(a.webSockets(), a.requestsLastMinute(), a.requestsLast5Minutes(),
                    a.lastRequest().map(Instant::toEpochMilli).orElse(0L), a.requestsAfterRetirementLast5Minutes(),
                    a.lastRetiredClient().orElse(null)));
        }
        return new NodeReport(node, address, startedAt, local.openTabs(), counts, serving.get());
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
