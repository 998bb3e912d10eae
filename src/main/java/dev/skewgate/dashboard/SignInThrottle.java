package dev.skewgate.dashboard;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down guessing the admin token on the sign-in form: from the fifth wrong token in a row from one client
 * address, sign-in is refused for 1 s, then 2, 4 ... up to 15 min after each further wrong one; a right token
 * (once allowed) clears the count, and 15 min without a wrong one forgets it.
 */
public final class SignInThrottle {

    static final int FREE_ATTEMPTS = 4;
    static final Duration MAX_LOCK = Duration.ofMinutes(15);
    static final Duration FORGET = Duration.ofMinutes(15);
    static final int MAX_CLIENTS = 10_000;

    private record Failures(int count, Instant last, Instant lockedUntil) {
    }

    private final Map<String, Failures> byClient = new ConcurrentHashMap<>();
    private final Clock clock;

    public SignInThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long {@code client} must still wait before it may try, if it must. */
    public Optional<Duration> locked(String client) {
        Failures f = byClient.get(client);
        Instant now = clock.instant();
        if (f == null || !f.lockedUntil().isAfter(now)) {
            return Optional.empty();
        }
        return Optional.of(Duration.between(now, f.lockedUntil()));
    }

    /** Counts a wrong token; answers the lock it starts (empty while attempts are still free). */
    public Optional<Duration> failed(String client) {
        Instant now = clock.instant();
        if (byClient.size() >= MAX_CLIENTS) {
            byClient.values().removeIf(f -> forgotten(f, now));
        }
        Failures f = byClient.compute(client, (k, old) -> {
            int count = old == null || forgotten(old, now) ? 1 : old.count() + 1;
            Instant until = count <= FREE_ATTEMPTS ? now : now.plus(lock(count));
            return new Failures(count, now, until);
        });
        return f.count() <= FREE_ATTEMPTS ? Optional.empty() : Optional.of(lock(f.count()));
    }

    public void succeeded(String client) {
        byClient.remove(client);
    }

    /** 1 s for the fifth wrong token, doubling with each further one, at most {@link #MAX_LOCK}. */
    static Duration lock(int failures) {
        int doublings = Math.min(failures - FREE_ATTEMPTS - 1, 20);
        Duration d = Duration.ofSeconds(1L << doublings);
        return d.compareTo(MAX_LOCK) > 0 ? MAX_LOCK : d;
    }

    private static boolean forgotten(Failures f, Instant now) {
        return !f.last().plus(FORGET).isAfter(now) && !f.lockedUntil().isAfter(now);
    }
}
