package dev.skewgate.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The {@code Date} header value, formatted at most once per second however many responses need it. */
public final class HttpDate {

    private static final DateTimeFormatter FORMAT =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** Second and text published together, so a reader never sees one without the other. */
    private record Stamp(long second, String text) {
    }

    private static volatile Stamp current = new Stamp(-1, "");

    private HttpDate() {
    }

    public static String now() {
        long second = System.currentTimeMillis() / 1000;
        Stamp stamp = current;
        if (stamp.second() != second) {
            stamp = new Stamp(second, FORMAT.format(Instant.ofEpochSecond(second)));
            current = stamp; // a benign race: two threads may format the same second
        }
        return stamp.text();
    }
}
