package dev.skewgate.backends;

import dev.skewgate.routing.BackendRoute;
import dev.skewgate.routing.InstancePool;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One deployment's {@link InstancePool}: the ready instances' addresses (replaced as a whole, read per request without
 * a lock), requests in flight per instance port (what a stop drains), and when a request last came.
 */
final class Pool implements InstancePool {

    private volatile List<BackendRoute.Upstream> ready = List.of();
    private final Map<Integer, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private volatile long lastRequestMillis;
    private final Supplier<CompletionStage<Void>> wake;

    Pool(Supplier<CompletionStage<Void>> wake) {
        this.wake = wake;
    }

    @Override
    public List<BackendRoute.Upstream> ready() {
        return ready;
    }

    void ready(List<Integer> ports) {
        ready = ports.stream().map(BackendRoute.Upstream::loopback).toList();
    }

    @Override
    public CompletionStage<Void> awaitReady() {
        return wake.get();
    }

    @Override
    public void begin(BackendRoute.Upstream upstream) {
        lastRequestMillis = System.currentTimeMillis();
        inFlight.computeIfAbsent(upstream.port(), p -> new AtomicInteger()).incrementAndGet();
    }

    @Override
    public void end(BackendRoute.Upstream upstream) {
        lastRequestMillis = System.currentTimeMillis();
        AtomicInteger n = inFlight.get(upstream.port());
        if (n != null) {
            n.decrementAndGet();
        }
    }

    int inFlight(int port) {
        AtomicInteger n = inFlight.get(port);
        return n == null ? 0 : Math.max(0, n.get());
    }

    long lastRequestMillis() {
        return lastRequestMillis;
    }
}
