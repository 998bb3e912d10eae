package dev.skewgate.proxy;

import io.netty.util.AsciiString;
import io.vertx.core.MultiMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Header copying for a proxy (RFC 9110 §7.6.1): the connection-specific fields and every field named in
 * {@code Connection} are removed, in both directions, 101 responses included.
 *
 * <p>It runs twice per proxied request, so it does not lowercase what it copies: names are compared
 * ignoring case where they are, and a {@code Connection} that names only fields dropped anyway (the usual
 * {@code keep-alive} or {@code close}) nominates nothing.
 */
final class HopByHop {

    static final Set<String> ALWAYS = Set.of("connection", "keep-alive", "proxy-connection", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade");
    private static final AsciiString[] ALWAYS_NAMES = ALWAYS.stream().map(AsciiString::cached).toArray(AsciiString[]::new);
    private static final AsciiString CONNECTION = AsciiString.cached("connection");

    private HopByHop() {
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
        Set<String> nominated = from.contains(CONNECTION) ? nominated(from) : Set.of();
        // forEach, not the iterator: Vert.x's header map hands its entries over without wrapping each one.
        from.forEach((key, value) -> {
            if (nominated.isEmpty() && !mightDrop(key.charAt(0), alsoDrop) || !dropped(key, nominated, alsoDrop)) {
                to.add(key, value);
            }
        });
    }

    /** The fields {@code Connection} names that are not dropped anyway, lowercase; usually none. */
    private static Set<String> nominated(MultiMap from) {
        Set<String> nominated = Set.of();
        for (String value : from.getAll(CONNECTION)) {
            for (String token : value.split(",")) {
                String t = token.trim();
                if (t.isEmpty() || isAlways(t)) {
                    continue;
                }
                if (nominated.isEmpty()) {
                    nominated = new HashSet<>();
                }
                nominated.add(t.toLowerCase(Locale.ROOT));
            }
        }
        return nominated;
    }

    private static boolean isAlways(CharSequence name) {
        for (AsciiString always : ALWAYS_NAMES) {
            if (always.contentEqualsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean dropped(CharSequence name, Set<String> nominated, Set<String> alsoDrop) {
        if (isAlways(name)) {
            return true;
        }
        for (String n : nominated) {
            if (AsciiString.contentEqualsIgnoreCase(n, name)) {
                return true;
            }
        }
        for (String n : alsoDrop) {
            if (AsciiString.contentEqualsIgnoreCase(n, name)) {
                return true;
            }
        }
        return false;
    }
}
