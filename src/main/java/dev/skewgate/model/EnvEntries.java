package dev.skewgate.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * A site's server-side environment in plaintext, for the control plane only (never for an answer or a log), and its
 * revision, which every change increases.
 */
public record EnvEntries(long revision, Map<String, String> values) {

    public EnvEntries {
        values = java.util.Collections.unmodifiableMap(new TreeMap<>(values)); // sorted: listings are stable
    }

    public static final EnvEntries EMPTY = new EnvEntries(0, Map.of());
}
