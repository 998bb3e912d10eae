package dev.skewgate.control;

import dev.skewgate.model.InvalidRequestException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a site's server-side environment may hold: names a shell and every runtime accept, none the gateway sets
 * itself, and sizes a process environment copes with. No message here ever quotes a value.
 */
public final class EnvRules {

    public static final int MAX_KEY_CHARS = 128;
    public static final int MAX_VALUE_BYTES = 32 * 1024;
    /** The whole env as a process receives it: {@code KEY=VALUE} and a terminating NUL per entry. */
    public static final int MAX_TOTAL_BYTES = 64 * 1024;
    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EnvRules() {
    }

    /** Refuses a key that is not a valid name, too long, or one the gateway sets for its backends. */
    public static void checkKey(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY_CHARS || !KEY.matcher(key).matches()) {
            // Quote what cannot be a value: a mistyped "KEY=secret" is shown as KEY=..., and long input is cut.
            String shown = key == null ? "(none)" : key.indexOf('=') >= 0 ? key.substring(0, key.indexOf('=')) + "=..."
                    : key.length() > 40 ? key.substring(0, 40) + "..." : key;
            throw new InvalidRequestException("INVALID_ENV_KEY", "'" + shown.replaceAll("[^\\x20-\\x7e]", "?")
                    + "' is not a valid environment variable name (letters, digits and _, not starting with a digit, "
                    + "at most " + MAX_KEY_CHARS + " characters)");
        }
        if (key.equals("PORT") || key.startsWith("SKEWGATE_")) {
            throw new InvalidRequestException("RESERVED_ENV_KEY", "'" + key + "' is reserved: the gateway sets PORT "
                    + "and SKEWGATE_* for each backend instance itself");
        }
    }

    /** Refuses a value over {@link #MAX_VALUE_BYTES} or holding a NUL (a process environment cannot carry it). */
    public static void checkValue(String key, String value) {
        if (value == null) {
            throw new InvalidRequestException("INVALID_ENV_VALUE", "the value of " + key + " must be a string");
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidRequestException("INVALID_ENV_VALUE", "the value of " + key + " holds a NUL character, "
                    + "which no process environment can carry");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_VALUE_BYTES) {
            throw new InvalidRequestException("ENV_TOO_LARGE", "the value of " + key + " is " + bytes
                    + " bytes; at most " + MAX_VALUE_BYTES + " are allowed");
        }
    }

    /**
     * Checks a change against the env as it is and returns the env it makes.
     *
     * @throws InvalidRequestException with INVALID_ENV_KEY, RESERVED_ENV_KEY, INVALID_ENV_VALUE or ENV_TOO_LARGE
     */
    public static Map<String, String> apply(Map<String, String> current, Map<String, String> set, Set<String> unset) {
        for (String key : unset) {
            if (key == null || key.isEmpty() || key.length() > MAX_KEY_CHARS || !KEY.matcher(key).matches()) {
                checkKey(key);
            }
            if (set.containsKey(key)) {
                throw new InvalidRequestException("INVALID_ENV_KEY", key + " is both set and unset in one change");
            }
        }
        for (var e : set.entrySet()) {
            checkKey(e.getKey());
            checkValue(e.getKey(), e.getValue());
        }
        Map<String, String> next = new java.util.TreeMap<>(current);
        unset.forEach(next::remove);
        next.putAll(set);
        long total = total(next);
        if (total > MAX_TOTAL_BYTES) {
            throw new InvalidRequestException("ENV_TOO_LARGE", "the environment would be " + total + " bytes (each "
                    + "KEY=VALUE and its terminator); at most " + MAX_TOTAL_BYTES + " are allowed");
        }
        return next;
    }

    /** The size of the env as a process environment block. */
    public static long total(Map<String, String> env) {
        long total = 0;
        for (var e : env.entrySet()) {
            total += e.getKey().length() + 1 + e.getValue().getBytes(StandardCharsets.UTF_8).length + 1;
        }
        return total;
    }
}
