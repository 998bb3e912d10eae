package dev.skewgate.push;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every open event stream of this gateway, across event loops: broadcasts a notice to all of them in parallel, keeps
 * the recent notices of each site for {@code Last-Event-ID} resumption, and counts open tabs per boot deployment (a
 * stream speaks for all the tabs its client reports, see {@link #presence}).
 */
public final class PushHub implements Announcer {

    private static final Logger LOG = LoggerFactory.getLogger(PushHub.class);
    /** Notices kept per site for clients that reconnect; an older Last-Event-ID gets a fresh hello instead. */
    static final int REPLAY = 128;
    private static final long BROADCAST_WAIT_MS = 10_000;

    private final List<LoopHub> loops = new CopyOnWriteArrayList<>();
    private final Map<String, Replay> replays = new ConcurrentHashMap<>();
    private final Map<String, Map<String, AtomicInteger>> open = new ConcurrentHashMap<>();
    /** Open streams that report presence, by site and client-chosen id. */
    private final Map<String, EventStream> byId = new ConcurrentHashMap<>();
    private final AtomicInteger onChannels = new AtomicInteger();
    /** Whether other nodes number this site's events too (one shared store): a tab may have seen newer ones there. */
    private final boolean peers;

    /** The hub of a gateway alone on its store. */
    public PushHub() {
        this(false);
    }

    /** @param peers other nodes share the store and number events in the same sequence per site */
    public PushHub(boolean peers) {
        this.peers = peers;
    }

    boolean peers() {
        return peers;
    }

    /**
     * The recent notices of one site, immutable and swapped whole.
     *
     * @param coveredFrom every notice with a greater number is in {@code notices} (or there was none)
     */
    record Replay(long coveredFrom, long newest, List<ChangeNotice> notices) {
    }

    /** Registers the calling event loop; its streams are written on its own thread. */
    public LoopHub register(Context context) {
        LoopHub hub = new LoopHub(context);
        loops.add(hub);
        return hub;
    }

    public void unregister(LoopHub hub) {
        loops.remove(hub);
    }

    /** Starts the replay log of a site at the event number the store had (once, at the first stream or notice). */
    void cover(String site, long lastEventSeq) {
        replays.putIfAbsent(site, new Replay(lastEventSeq, lastEventSeq, List.of()));
    }

    Optional<Replay> replay(String site) {
        return Optional.ofNullable(replays.get(site));
    }

    @Override
    public void recall(String site, long coveredFrom, long newest, List<ChangeNotice> notices) {
        replays.merge(site, trimmed(coveredFrom, newest, notices), PushHub::joined);
    }

    /**
     * One replay from two: their union when their ranges touch (the notices this gateway sent win over rebuilt ones
     * of the same number, which they equal anyway), otherwise the newer one alone, as a gap cannot be replayed.
     */
    static Replay joined(Replay had, Replay got) {
        if (got.coveredFrom() > had.newest() || had.coveredFrom() > got.newest()) {
            return got.newest() > had.newest() ? got : had;
        }
        java.util.TreeMap<Long, ChangeNotice> bySeq = new java.util.TreeMap<>();
        got.notices().forEach(n -> bySeq.put(n.seq(), n));
        had.notices().forEach(n -> bySeq.put(n.seq(), n));
        return trimmed(Math.min(had.coveredFrom(), got.coveredFrom()), Math.max(had.newest(), got.newest()),
                new ArrayList<>(bySeq.values()));
    }

    /** At most {@link #REPLAY} notices, the oldest dropped first (the range then starts at the last one dropped). */
    private static Replay trimmed(long coveredFrom, long newest, List<ChangeNotice> notices) {
        List<ChangeNotice> list = new ArrayList<>(notices);
        long from = coveredFrom;
        while (list.size() > REPLAY) {
            from = list.remove(0).seq();
        }
        long last = list.isEmpty() ? from : list.get(list.size() - 1).seq();
        return new Replay(from, Math.max(newest, last), List.copyOf(list));
    }

    @Override
    public int announce(ChangeNotice notice) {
        replays.compute(notice.site(), (site, old) -> {
            Replay r = old == null ? new Replay(notice.seq() - 1, notice.seq() - 1, List.of()) : old;
            List<ChangeNotice> list = new ArrayList<>(r.notices());
            list.add(notice);
            return trimmed(r.coveredFrom(), r.newest(), list);
        });
        Buffer frame = SseFrames.event(notice.seq(), notice.type(), notice.data());
        List<CompletableFuture<Integer>> sent = new ArrayList<>();
        for (LoopHub loop : loops) {
            CompletableFuture<Integer> done = new CompletableFuture<>();
            loop.context().runOnContext(v -> {
                try {
                    loop.send(notice.site(), notice.seq(), frame, done::complete);
                } catch (RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
            sent.add(done);
        }
        int total = 0;
        for (CompletableFuture<Integer> f : sent) {
            try {
                total += f.get(BROADCAST_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warn("an event loop did not confirm broadcasting event {} of site {}: {}", notice.seq(), notice.site(),
                        e.toString());
            }
        }
        return total;
    }

    /** Open event streams of every site with any, by site then deployment. */
    public Map<String, Map<String, Integer>> openClients() {
        Map<String, Map<String, Integer>> out = new HashMap<>();
        for (String site : open.keySet()) {
            Map<String, Integer> counts = openClients(site);
            if (!counts.isEmpty()) {
                out.put(site, counts);
            }
        }
        return out;
    }

    /** Open event streams of a site by the deployment their tab booted on (as their clients report). */
    public Map<String, Integer> openClients(String site) {
        Map<String, AtomicInteger> counts = open.get(site);
        Map<String, Integer> out = new HashMap<>();
        if (counts != null) {
            counts.forEach((k, v) -> {
                if (v.get() > 0) {
                    out.put(k, v.get());
                }
            });
        }
        return out;
    }

    /** Most deployments one stream may report tabs for, and most tabs per deployment (client input stays bounded). */
    static final int MAX_PRESENCE_ENTRIES = 32;
    static final int MAX_TABS_PER_ENTRY = 1_000;

    void opened(EventStream stream) {
        synchronized (stream) {
            add(stream.site, stream.tabs, 1);
        }
        if (!stream.id.isEmpty()) {
            // A reconnect under the same id replaces the old stream; the old one's tabs count until it closes.
            byId.put(stream.site + " " + stream.id, stream);
        }
    }

    /** The stream's channel was taken over from the HTTP server ({@link SseEndpoint}). */
    void handedOver(EventStream stream) {
        onChannels.incrementAndGet();
    }

    /** Open streams that are bare channels rather than Vert.x responses (HTTP/1.1 ones, once open). */
    public int streamsOnChannels() {
        return onChannels.get();
    }

    void closed(EventStream stream) {
        synchronized (stream) {
            if (stream.closed) {
                return;
            }
            stream.closed = true;
            add(stream.site, stream.tabs, -1);
        }
        if (stream.channel != null) {
            onChannels.decrementAndGet();
        }
        if (!stream.id.isEmpty()) {
            byId.remove(stream.site + " " + stream.id, stream);
        }
    }

    /**
     * Replaces the tabs an open stream speaks for (its client's presence report, already checked against the site's
     * deployments and bounded); false when no open stream of the site has that id.
     */
    boolean presence(String site, String id, Map<String, Integer> tabs) {
        EventStream stream = byId.get(site + " " + id);
        if (stream == null) {
            return false;
        }
        synchronized (stream) {
            if (stream.closed) {
                return false;
            }
            add(site, stream.tabs, -1);
            Map<String, Integer> copy = Map.copyOf(tabs);
            stream.tabs = copy;
            stream.tabCount = copy.values().stream().mapToInt(Integer::intValue).sum();
            add(site, copy, 1);
        }
        return true;
    }

    private void add(String site, Map<String, Integer> tabs, int sign) {
        Map<String, AtomicInteger> counts = open.computeIfAbsent(site, k -> new ConcurrentHashMap<>());
        // A count that drops to zero is removed, not left behind: the keys stay bounded by live deployments.
        tabs.forEach((boot, n) -> counts.compute(boot, (k, c) -> {
            AtomicInteger count = c == null ? new AtomicInteger() : c;
            return count.addAndGet(sign * n) <= 0 ? null : count;
        }));
    }

    /** Deployments with a count, for tests: bounded by what the sites know, not by what clients send. */
    int countedDeployments(String site) {
        Map<String, AtomicInteger> counts = open.get(site);
        return counts == null ? 0 : counts.size();
    }

    /** Ends every stream on every loop; returns when each loop has done so (or after the wait). */
    public void closeAll() {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (LoopHub loop : loops) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            loop.context().runOnContext(v -> {
                loop.closeAll();
                f.complete(null);
            });
            done.add(f);
        }
        for (CompletableFuture<Void> f : done) {
            try {
                f.get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("closing event streams: {}", e.toString());
            }
        }
    }
}
