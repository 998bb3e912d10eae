package dev.skewgate.proxy;

import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * HopByHop as it was before it compared names in place (commit 2583178), kept as the oracle of
 * {@link HopByHopEquivalenceTest}.
 */
final class ReferenceHopByHop {

    static final Set<String> ALWAYS = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");

    private ReferenceHopByHop() {
    }

    /** Whether a header starting with this letter could be one that is dropped. */
    private static boolean mightDrop(char first, Set<String> alsoDrop) {
        char c = Character.toLowerCase(first);
        if (c == 'c' || c == 'k' || c == 'p' || c == 't' || c == 'u') {
            return true;
        }
        for (String name : alsoDrop) {
            if (name.charAt(0) == c) {
                return true;
            }
        }
        return false;
    }

    /** Copies {@code from} into {@code to} without hop-by-hop fields and without {@code alsoDrop} (lowercase names). */
    static void copy(MultiMap from, MultiMap to, Set<String> alsoDrop) {
        Set<String> nominated = Set.of();
        for (String value : from.getAll("connection")) {
            if (nominated.isEmpty()) {
                nominated = new HashSet<>();
            }
            for (String token : value.split(",")) {
                String t = token.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    nominated.add(t);
                }
            }
        }
        for (Map.Entry<String, String> h : from) {
            String key = h.getKey();
            // Most names cannot be hop-by-hop; lowercase (and allocate) only when they might be.
            if (nominated.isEmpty() && !mightDrop(key.charAt(0), alsoDrop)) {
                to.add(key, h.getValue());
                continue;
            }
            String name = key.toLowerCase(Locale.ROOT);
            if (!ALWAYS.contains(name) && !nominated.contains(name) && !alsoDrop.contains(name)) {
                to.add(key, h.getValue());
            }
        }
    }
}
