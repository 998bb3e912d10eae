package dev.skewgate.dashboard;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's sign-ins, in memory only (a restart signs everyone out): a random 256-bit id in the cookie, a
 * separate CSRF token handed to the page, forgotten after 12 hours without a request.
 */
public final class Sessions {

    public static final Duration IDLE = Duration.ofHours(12);
    static final int MAX = 1000;

    /** One sign-in: the cookie's id, the token every change must echo in a header, when it was last used. */
    public record Session(String id, String csrf, Instant lastSeen) {
        /** Whether {@code offered} is this session's CSRF token, in constant time. */
        public boolean csrfMatches(String offered) {
            return offered != null && MessageDigest.isEqual(offered.getBytes(StandardCharsets.UTF_8),
                    csrf.getBytes(StandardCharsets.UTF_8));
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> byId = new ConcurrentHashMap<>();
    private final Clock clock;

    public Sessions(Clock clock) {
        this.clock = clock;
    }

    public Session create() {
        Instant now = clock.instant();
        if (byId.size() >= MAX) {
            byId.values().removeIf(s -> expired(s, now));
            if (byId.size() >= MAX) { // all fresh: the least recently used one goes
                byId.values().stream().min(java.util.Comparator.comparing(Session::lastSeen))
                        .ifPresent(s -> byId.remove(s.id()));
            }
        }
        Session s = new Session(randomId(), randomId(), now);
        byId.put(s.id(), s);
        return s;
    }

    /** The live session with this cookie value, its idle clock restarted; expired ones are dropped. */
    public Optional<Session> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        Session s = byId.get(id);
        Instant now = clock.instant();
        if (s == null) {
            return Optional.empty();
        }
        if (expired(s, now)) {
            byId.remove(id, s);
            return Optional.empty();
        }
        Session touched = new Session(s.id(), s.csrf(), now);
        byId.replace(id, s, touched);
        return Optional.of(touched);
    }

    public void end(String id) {
        if (id != null) {
            byId.remove(id);
        }
    }

    private static boolean expired(Session s, Instant now) {
        return !s.lastSeen().plus(IDLE).isAfter(now);
    }

    private String randomId() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
