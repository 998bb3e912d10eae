package dev.skewgate.model;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * Deployment ids: {@code dpl_} and 26 Crockford base32 characters, a ULID (48-bit millisecond time, 80 random bits),
 * so ids sort by creation time. Hand-written because it is 30 lines and a ULID library would be a dependency for it.
 */
public final class DeploymentIds {

    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final Pattern WELL_FORMED = Pattern.compile("dpl_[0-9A-HJKMNP-TV-Z]{26}");
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Ids by this process's clock, for callers without a clock of their own (tests, tools). */
    private static final Generator DEFAULT = new Generator(java.time.Clock.systemUTC());

    private DeploymentIds() {
    }

    /** Whether a value has the shape of a deployment id; cheap enough for the request path. */
    public static boolean isWellFormed(String value) {
        return value != null && value.length() == 30 && WELL_FORMED.matcher(value).matches();
    }

    /** A new id by the system clock, strictly greater than every id {@link #next()} made before. */
    public static String next() {
        return DEFAULT.next();
    }

    /**
     * Ids by one clock (a gateway's), each strictly greater than the generator's previous one (monotonic within a
     * millisecond). Nodes with skewed clocks make ids that sort by their own clocks: ids say roughly when, never
     * which came first across nodes (the store's event numbers do), and nothing orders by them for correctness.
     */
    public static final class Generator {
        private final java.time.Clock clock;
        private long lastMillis;
        private long lastHigh;
        private long lastLow;

        public Generator(java.time.Clock clock) {
            this.clock = clock;
        }

        public synchronized String next() {
            long now = clock.millis();
            if (now <= lastMillis) {
                now = lastMillis;
                lastLow++;
                if (lastLow == 0) {
                    lastHigh = (lastHigh + 1) & 0xFFFF;
                }
            } else {
                lastMillis = now;
                lastHigh = RANDOM.nextInt(1 << 15); // leave headroom so increments never overflow 16 bits
                lastLow = RANDOM.nextLong() & Long.MAX_VALUE;
            }
            return encode(now, lastHigh, lastLow);
        }
    }

    private static String encode(long now, long lastHigh, long lastLow) {
        char[] out = new char[26];
        // 48 bits of time -> 10 chars; 80 bits of randomness (16 high + 64 low) -> 16 chars.
        long t = now;
        for (int i = 9; i >= 0; i--) {
            out[i] = ALPHABET[(int) (t & 31)];
            t >>>= 5;
        }
        long low = lastLow;
        long high = lastHigh;
        for (int i = 25; i >= 10; i--) {
            out[i] = ALPHABET[(int) (low & 31)];
            low = (low >>> 5) | ((high & 31) << 59);
            high >>>= 5;
        }
        return "dpl_" + new String(out);
    }
}
