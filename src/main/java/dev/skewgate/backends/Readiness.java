package dev.skewgate.backends;

import java.time.Duration;

/**
 * When a starting instance counts as ready: {@code probes} consecutive 2xx answers to its health path, one every
 * {@code interval}, all within {@code timeout} of the start.
 */
public record Readiness(int probes, Duration interval, Duration timeout) {

    public Readiness {
        if (probes < 1) {
            throw new IllegalArgumentException("probes must be at least 1: " + probes);
        }
    }
}
