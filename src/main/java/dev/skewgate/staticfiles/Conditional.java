package dev.skewgate.staticfiles;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** The conditional-request checks of RFC 9110 §13 that a static file server needs. */
final class Conditional {

    private Conditional() {
    }

    /** If-None-Match uses weak comparison (§13.1.2): W/ prefixes are ignored on both sides; '*' matches anything. */
    static boolean noneMatchFails(String ifNoneMatch, String etag) {
        if (ifNoneMatch.equals(etag)) {
            return true; // the common case, a browser revalidating the one ETag it has: no parsing
        }
        String target = etag.startsWith("W/") ? etag.substring(2) : etag;
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.equals("*")) {
                return true;
            }
            if (c.startsWith("W/")) {
                c = c.substring(2);
            }
            if (c.equals(target)) {
                return true;
            }
        }
        return false;
    }

    /** True when the file has not changed since the client's date (second precision, as Last-Modified has). */
    static boolean notModifiedSince(String ifModifiedSince, String lastModified) {
        try {
            ZonedDateTime since = ZonedDateTime.parse(ifModifiedSince.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
            ZonedDateTime modified = ZonedDateTime.parse(lastModified, DateTimeFormatter.RFC_1123_DATE_TIME);
            return !modified.isAfter(since);
        } catch (DateTimeParseException e) {
            return false; // an invalid date is ignored (§13.1.3)
        }
    }

    /** If-Range needs a strong match with the current ETag, or the exact Last-Modified date (§13.1.5). */
    static boolean rangeStillValid(String ifRange, String etag, String lastModified) {
        String v = ifRange.trim();
        if (v.startsWith("\"")) {
            return v.equals(etag);
        }
        return v.equals(lastModified);
    }
}
