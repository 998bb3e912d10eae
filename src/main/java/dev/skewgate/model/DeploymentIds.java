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
    private static long lastMillis;
    private static long lastHigh;
    private static long lastLow;

    private DeploymentIds() {
    }

    /** Whether a value has the shape of a deployment id; cheap enough for the request path. */
    public static boolean isWellFormed(String value) {
        return value != null && value.length() == 30 && WELL_FORMED.matcher(value).matches();
    }

    /** A new id, strictly greater than every id this process made before (monotonic within a millisecond). */
    public static synchronized String next() {
        long now = System.currentTimeMillis();
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
