package dev.skewgate.proxy;

import dev.skewgate.routing.BackendRoute.Upstream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Round robin over a backend's upstreams with passive ejection: an upstream that refused connections three times in a
 * row is skipped for ten seconds (if every upstream is ejected, they are all tried anyway).
 */
public final class UpstreamHealth {

    static final int EJECT_AFTER = 3;
    static final long EJECT_MILLIS = 10_000;

    private final Map<String, State> states = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger();

    private static final class State {
        final AtomicInteger failures = new AtomicInteger();
        final AtomicLong ejectedUntil = new AtomicLong();
    }

    /**
     * The upstream for the next attempt of a request: rotating, skipping ejected ones and the one that just failed
     * this request (when there is another); if every other one is ejected, the rotation's pick is tried anyway.
     */
    Upstream pick(List<Upstream> upstreams, Upstream failed) {
        int n = upstreams.size();
        int start = Math.floorMod(next.getAndIncrement(), n);
        long now = System.currentTimeMillis();
        Upstream fallback = null;
        for (int i = 0; i < n; i++) {
            Upstream u = upstreams.get((start + i) % n);
            if (u == failed && n > 1) {
                continue;
            }
            State s = states.get(u.origin());
            if (s == null || s.ejectedUntil.get() <= now) {
                return u;
            }
            if (fallback == null) {
                fallback = u;
            }
        }
        return fallback != null ? fallback : upstreams.get(start);
    }

    void failed(Upstream u) {
        State s = states.computeIfAbsent(u.origin(), k -> new State());
        if (s.failures.incrementAndGet() >= EJECT_AFTER) {
            s.ejectedUntil.set(System.currentTimeMillis() + EJECT_MILLIS);
            s.failures.set(0);
        }
    }

    void succeeded(Upstream u) {
        State s = states.get(u.origin());
        if (s != null) {
            s.failures.set(0);
            s.ejectedUntil.set(0);
        }
    }
}
