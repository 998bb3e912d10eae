package dev.skewgate.control;

import dev.skewgate.model.EnvEntries;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.store.Store;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A site's server-side environment (secrets for its backends, never for a browser): set, unset and a masked listing.
 * It is not part of the routing snapshot, so a change is written in the site's order without rebuilding what is
 * served; the data plane never sees it.
 */
public final class ServerEnv {

    /** A key as the API and CLI show it: its name and the value's length in UTF-8 bytes, never the value. */
    public record MaskedKey(String name, int length) {
    }

    /** The masked env of a site. */
    public record Masked(long revision, List<MaskedKey> keys) {
    }

    private final ChangeCore core;
    private final Store store;
    private final Sites sites;
    private final Clock clock;

    ServerEnv(ChangeCore core, Sites sites, Clock clock) {
        this.core = core;
        this.store = core.store();
        this.sites = sites;
        this.clock = clock;
    }

    /** The keys and value lengths of a site's env; 404 for an unknown site. */
    public Masked list(String siteName) {
        return masked(store.env(siteName));
    }

    /**
     * Sets and removes keys in one revision with one audit event naming the keys only. A change that changes nothing
     * (same values, keys already absent) makes no revision and no event.
     */
    public Masked change(String siteName, Map<String, String> set, Set<String> unset, String actor) {
        if (set.isEmpty() && unset.isEmpty()) {
            throw new InvalidRequestException("MISSING_FIELD", "nothing to change: give keys to set or to unset");
        }
        EnvRules.apply(Map.of(), set, unset); // refuse bad input before waiting for the site's turn
        return core.serialized(siteName, () -> store.transaction(() -> {
            sites.get(siteName);
            EnvEntries current = store.env(siteName);
            Map<String, String> next = EnvRules.apply(current.values(), set, unset);
            TreeSet<String> changed = new TreeSet<>();
            set.forEach((k, v) -> {
                if (!Objects.equals(current.values().get(k), v)) {
                    changed.add(k);
                }
            });
            TreeSet<String> removed = new TreeSet<>();
            unset.forEach(k -> {
                if (current.values().containsKey(k)) {
                    removed.add(k);
                }
            });
            if (changed.isEmpty() && removed.isEmpty()) {
                return masked(current);
            }
            long revision = current.revision() + 1;
            List<String> parts = new ArrayList<>();
            if (!changed.isEmpty()) {
                parts.add("set " + String.join(", ", changed));
            }
            if (!removed.isEmpty()) {
                parts.add("unset " + String.join(", ", removed));
            }
            String detail = String.join("; ", parts) + " (env revision " + revision + ", " + next.size() + " key(s))";
            Map<String, String> written = new java.util.TreeMap<>();
            changed.forEach(k -> written.put(k, set.get(k)));
            store.setEnv(siteName, written, removed, EventDraft.of(changed.isEmpty() ? "env.unset" : "env.set", actor,
                    clock.instant(), detail));
            return masked(store.env(siteName));
        }));
    }

    private static Masked masked(EnvEntries env) {
        List<MaskedKey> keys = new ArrayList<>();
        env.values().forEach((k, v) -> keys.add(new MaskedKey(k, v.getBytes(StandardCharsets.UTF_8).length)));
        return new Masked(env.revision(), List.copyOf(keys));
    }
}
