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
    private record Stamp(long second, CharSequence text) {
    }

    private static volatile Stamp current = new Stamp(-1, "");

    private HttpDate() {
    }

    public static CharSequence now() {
        long second = System.currentTimeMillis() / 1000;
        Stamp stamp = current;
        if (stamp.second() != second) {
            // An AsciiString: its bytes are copied into each response head as they are, not encoded char by char.
            stamp = new Stamp(second, io.vertx.core.http.HttpHeaders.createOptimized(FORMAT.format(Instant.ofEpochSecond(second))));
            current = stamp; // a benign race: two threads may format the same second
        }
        return stamp.text();
    }
}
