package dev.skewgate.dashboard;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One-time sign-in links ({@code skewgate dashboard}): a random 256-bit code, good for one sign-in within a minute,
 * so the admin token itself never goes on a command line or into browser history.
 */
public final class LoginLinks {

    public static final Duration VALID = Duration.ofSeconds(60);
    static final int MAX = 100;

    private final SecureRandom random = new SecureRandom();
    private final Map<String, Instant> expiry = new ConcurrentHashMap<>();
    private final Clock clock;

    public LoginLinks(Clock clock) {
        this.clock = clock;
    }

    public String create() {
        Instant now = clock.instant();
        expiry.values().removeIf(until -> !until.isAfter(now));
        if (expiry.size() >= MAX) {
            throw new dev.skewgate.model.ConflictException("TOO_MANY_LINKS", MAX + " sign-in links are waiting to "
                    + "be used; wait a minute for them to expire");
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String code = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        expiry.put(code, now.plus(VALID));
        return code;
    }

    /** Whether {@code code} is a link not yet used nor expired; it is used up either way. */
    public boolean redeem(String code) {
        Instant until = expiry.remove(code);
        return until != null && until.isAfter(clock.instant());
    }
}
