package dev.skewgate.control;

import dev.skewgate.store.NodeReport;
import dev.skewgate.store.Nodes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What is running over all live nodes: this node's own counters (always current) plus the last report of every other
 * node that reported within {@link Nodes#LIVE}. The others' reports are the ones the heartbeat fetched last, never
 * read from the store on a request; their age keeps growing between fetches (monotonic clock), so a node that stops
 * reporting ages out even while the store is unreachable.
 */
public final class ClusterView implements Running {

    private final Running local;
    private final String self;
    private final Nodes store;
    private Runnable beatNow = () -> { };
    private volatile List<Nodes.Seen> seen = List.of();
    private volatile long seenAtNanos = System.nanoTime();

    public ClusterView(Running local, String self, Nodes store) {
        this.local = local;
        this.self = self;
        this.store = store;
    }

    /** What makes this node report at once (its heartbeat), so that the wait below sees its own swap early. */
    void beatNow(Runnable beat) {
        this.beatNow = beat;
    }

    /**
     * Polls the store's nodes list (every 10 ms; on the caller's thread, never a loop) until every live node serves
     * {@code deployment} for {@code site}, at most {@code bound}. The nodes report right after each swap, so this is
     * the propagation time plus one report.
     */
    @Override
    public Propagation awaitServing(String site, String deployment, Duration bound) {
        beatNow.run();
        long start = System.nanoTime();
        long deadline = start + bound.toNanos();
        while (true) {
            List<String> serving = new ArrayList<>();
            List<String> lagging = new ArrayList<>();
            List<Nodes.Seen> all;
            try {
                all = store.nodes();
            } catch (RuntimeException e) {
                all = nodes(); // the store is away: what the last heartbeat saw
            }
            for (Nodes.Seen s : all) {
                if (!s.live()) {
                    continue;
                }
                boolean serves = deployment.equals(s.report().serving().get(site));
                (serves ? serving : lagging).add(s.report().node());
            }
            long waited = (System.nanoTime() - start) / 1_000_000;
            if (lagging.isEmpty() || System.nanoTime() >= deadline) {
                return new Propagation(serving, lagging, waited);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Propagation(serving, lagging, waited);
            }
        }
    }

    /** For tests of the summing and the aging without a store. */
    public void seenForTest(List<Nodes.Seen> nodes) {
        seen(nodes);
    }

    /** The nodes as the store listed them just now (called by the heartbeat). */
    void seen(List<Nodes.Seen> nodes) {
        seen = List.copyOf(nodes);
        seenAtNanos = System.nanoTime();
    }

    @Override
    public List<Nodes.Seen> nodes() {
        Duration since = Duration.ofNanos(System.nanoTime() - seenAtNanos);
        List<Nodes.Seen> out = new ArrayList<>();
        for (Nodes.Seen s : seen) {
            out.add(new Nodes.Seen(s.report(), s.report().node().equals(self) ? s.sinceHeartbeat()
                    : s.sinceHeartbeat().plus(since)));
        }
        return out;
    }

    private List<NodeReport> liveOthers() {
        List<NodeReport> out = new ArrayList<>();
        for (Nodes.Seen s : nodes()) {
            if (s.live() && !s.report().node().equals(self)) {
                out.add(s.report());
            }
        }
        return out;
    }

    @Override
    public Map<String, Integer> openTabs(String site) {
        Map<String, Integer> sum = new HashMap<>(local.openTabs(site));
        for (NodeReport other : liveOthers()) {
            other.tabs().getOrDefault(site, Map.of()).forEach((d, n) -> sum.merge(d, n, Integer::sum));
        }
        return sum;
    }

    @Override
    public Activity activity(String deployment) {
        Activity a = local.activity(deployment);
        int webSockets = a.webSockets();
        long minute = a.requestsLastMinute();
        long five = a.requestsLast5Minutes();
        Optional<Instant> last = a.lastRequest();
        long retired = a.requestsAfterRetirementLast5Minutes();
        Optional<String> client = a.lastRetiredClient();
        for (NodeReport other : liveOthers()) {
            NodeReport.Counts c = other.deployments().get(deployment);
            if (c == null) {
                continue;
            }
            webSockets += c.webSockets();
            minute += c.lastMinute();
            five += c.last5Minutes();
            retired += c.retiredLast5Minutes();
            if (c.lastRequestMillis() > 0) {
                Instant theirs = Instant.ofEpochMilli(c.lastRequestMillis());
                last = last.isEmpty() || theirs.isAfter(last.get()) ? Optional.of(theirs) : last;
            }
            if (client.isEmpty() && c.retiredClient() != null) {
                client = Optional.of(c.retiredClient());
            }
        }
        return new Activity(webSockets, minute, five, last, retired, client);
    }

    /** This node's own tabs: what it publishes (never the others', which would count them twice). */
    @Override
    public Map<String, Map<String, Integer>> openTabs() {
        return local.openTabs();
    }

    @Override
    public Set<String> counted() {
        return local.counted();
    }
}
