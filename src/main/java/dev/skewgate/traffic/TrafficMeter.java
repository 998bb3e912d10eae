package dev.skewgate.traffic;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests per deployment, counted on the request path without locks: a ring of per-minute counters and the time
 * of the last request, and totals since start by status class (what {@code /metrics} exports). Requests that carry a
 * pin to a retired deployment are counted apart and logged (at most once a minute per deployment) because something
 * is still running code that was turned off.
 */
public final class TrafficMeter {

    private static final Logger LOG = LoggerFactory.getLogger(TrafficMeter.class);
    /** Minutes of history kept. */
    static final int MINUTES = 15;

    private final Map<String, Counter> served = new ConcurrentHashMap<>();
    private final Map<String, Counter> retired = new ConcurrentHashMap<>();

    /**
     * One deployment's counts; the slot for a minute is reset by the first request in it. The totals by status class
     * (index {@code status / 100}, 0 for a response that never got a valid status) only ever grow: Prometheus
     * counters.
     */
    public static final class Counter {
        final String site;
        private final java.util.concurrent.atomic.LongAdder[] byClass = new java.util.concurrent.atomic.LongAdder[6];
        final java.util.concurrent.atomic.LongAdder[] perMinute = new java.util.concurrent.atomic.LongAdder[MINUTES];
        final AtomicLongArray minuteOfSlot = new AtomicLongArray(MINUTES);
        final AtomicLong lastMillis = new AtomicLong();
        final AtomicLong lastLogged = new AtomicLong();
        volatile String lastClient = "";

        Counter(String site) {
            this.site = site;
            for (int i = 0; i < MINUTES; i++) {
                perMinute[i] = new java.util.concurrent.atomic.LongAdder();
            }
            for (int i = 0; i < byClass.length; i++) {
                byClass[i] = new java.util.concurrent.atomic.LongAdder();
            }
        }

        /** The response to a request counted by {@link #served} ended with this status. */
        public void answered(int status) {
            int c = status / 100;
            byClass[c >= 1 && c <= 5 ? c : 0].increment();
        }

        /** Responses since start with a status of this class (1 to 5). */
        public long answered(char statusClass) {
            return byClass[statusClass - '0'].sum();
        }

        /** Requests since start (for the retired counter: requests pinned to it). */
        public long total() {
            long sum = 0;
            for (java.util.concurrent.atomic.LongAdder a : byClass) {
                sum += a.sum();
            }
            return sum;
        }

        public String site() {
            return site;
        }

        void add(long nowMillis) {
            long minute = nowMillis / 60_000;
            int slot = (int) (minute % MINUTES);
            if (minuteOfSlot.get(slot) != minute) {
                // Racing first requests of a minute may lose a count or two; a meter, not a ledger.
                minuteOfSlot.set(slot, minute);
                perMinute[slot].reset();
            }
            // LongAdder and a last-request time kept to the second: event loops do not fight over one cache line.
            perMinute[slot].increment();
            if (nowMillis - lastMillis.get() >= 1000) {
                lastMillis.set(nowMillis);
            }
        }

        long lastMinutes(long nowMillis, int minutes) {
            long current = nowMillis / 60_000;
            long sum = 0;
            for (int i = 0; i < MINUTES; i++) {
                long m = minuteOfSlot.get(i);
                if (m > current - minutes && m <= current) {
                    sum += perMinute[i].sum();
                }
            }
            return sum;
        }
    }

    /** What the status shows for one deployment. */
    public record Usage(long lastMinute, long last5Minutes, Optional<Instant> lastRequest) {
    }

    /** A request answered by this deployment; the caller tells the returned counter its status when it ends. */
    public Counter served(String site, String deployment) {
        Counter c = served.computeIfAbsent(deployment, k -> new Counter(site));
        c.add(System.currentTimeMillis());
        return c;
    }

    /** A request pinned to a retired deployment: counted, and logged at WARN at most once a minute per deployment. */
    public void retired(String site, String deployment, String client) {
        long now = System.currentTimeMillis();
        Counter c = retired.computeIfAbsent(deployment, k -> new Counter(site));
        c.add(now);
        c.byClass[0].increment(); // the total of requests pinned to it, whatever they were answered
        c.lastClient = client;
        long logged = c.lastLogged.get();
        if (now - logged >= 60_000 && c.lastLogged.compareAndSet(logged, now)) {
            LOG.warn("traffic to retired deployment {} of site {}: {} request(s) in the last 5 min, latest from {}",
                    deployment, site, c.lastMinutes(now, 5), client);
        }
    }

    /** Every deployment counted so far, by id (a live view, for the metrics page). */
    public Map<String, Counter> servedCounters() {
        return java.util.Collections.unmodifiableMap(served);
    }

    /** Every retired deployment a pinned request reached so far, by id (a live view). */
    public Map<String, Counter> retiredCounters() {
        return java.util.Collections.unmodifiableMap(retired);
    }

    /** Drops purged deployments: their counts (and the series exported from them) end with them. */
    public void forget(java.util.Collection<String> deployments) {
        deployments.forEach(d -> {
            served.remove(d);
            retired.remove(d);
        });
    }

    public Usage usage(String deployment) {
        return usage(served.get(deployment));
    }

    public Usage retiredUsage(String deployment) {
        return usage(retired.get(deployment));
    }

    /** The last client address that used a retired deployment. */
    public Optional<String> retiredClient(String deployment) {
        Counter c = retired.get(deployment);
        return c == null ? Optional.empty() : Optional.of(c.lastClient);
    }

    private static Usage usage(Counter c) {
        if (c == null) {
            return new Usage(0, 0, Optional.empty());
        }
        long now = System.currentTimeMillis();
        long last = c.lastMillis.get();
        return new Usage(c.lastMinutes(now, 1), c.lastMinutes(now, 5),
                last == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(last)));
    }
}
