package dev.skewgate.model;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them on a command line and in JSON: {@code 90s}, {@code 30m}, {@code 24h}, {@code 7d}. */
public final class Durations {

    private static final Pattern SHAPE = Pattern.compile("(\\d{1,9})\\s*(s|m|h|d)");

    private Durations() {
    }

    public static Duration parse(String text) {
        Matcher m = SHAPE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new InvalidRequestException("INVALID_DURATION",
                    "'" + text + "' is not a duration; write it like 90s, 30m, 24h or 7d");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    /** The largest whole unit: 86400 s -> "1d", 5400 s -> "90m". */
    public static String format(Duration d) {
        long s = d.getSeconds();
        if (s != 0 && s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s != 0 && s % 3_600 == 0) {
            return s / 3_600 + "h";
        }
        if (s != 0 && s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
