package dev.skewgate.routing;

import java.util.Optional;

/**
 * Which deployment a request asked for, and how. Precedence (DESIGN.md "Request path" step 2): header, then query
 * {@code _skewgate}, then cookie {@code skewgate_dpl}; the cookie never pins a navigation, so a reload always gets
 * the active version. The highest source present decides, even when its value names nothing servable.
 */
public record Pin(Optional<String> value, Source source) {

    public static final String HEADER = "X-Skewgate-Deployment";
    public static final String QUERY = "_skewgate";
    public static final String COOKIE = "skewgate_dpl";
    /** Longer values are not looked at: a deployment id is 30 characters. */
    public static final int MAX_LENGTH = 64;

    private static final Pin NONE = new Pin(Optional.empty(), Source.NONE);

    /** Where a pin came from. */
    public enum Source { HEADER, QUERY, COOKIE, NONE }

    /**
     * @param header the {@code X-Skewgate-Deployment} value or null
     * @param rawQuery the undecoded query string or null
     * @param cookies the {@code Cookie} header or null
     * @param navigation whether the request loads a document (so the shared cookie must not pin it)
     */
    public static Pin resolve(String header, String rawQuery, String cookies, boolean navigation) {
        if (header != null) {
            return new Pin(Optional.of(header.trim()), Source.HEADER);
        }
        String query = parameter(rawQuery, QUERY + "=", '&');
        if (query != null) {
            return new Pin(Optional.of(query), Source.QUERY);
        }
        if (!navigation && cookies != null) {
            String cookie = cookieValue(cookies);
            if (cookie != null) {
                return new Pin(Optional.of(cookie), Source.COOKIE);
            }
        }
        return NONE;
    }

    /** Whether a request is a document load: {@code Sec-Fetch-Mode: navigate}, or a browser asking for HTML. */
    public static boolean isNavigation(String secFetchMode, String accept) {
        if (secFetchMode != null) {
            return secFetchMode.equals("navigate");
        }
        return accept != null && accept.contains("text/html");
    }

    private static String parameter(String raw, String key, char separator) {
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        int from = 0;
        while (from <= raw.length()) {
            int end = raw.indexOf(separator, from);
            if (end < 0) {
                end = raw.length();
            }
            if (raw.startsWith(key, from)) {
                return raw.substring(from + key.length(), Math.min(end, from + key.length() + MAX_LENGTH + 1));
            }
            from = end + 1;
        }
        return null;
    }

    private static String cookieValue(String header) {
        int from = 0;
        while (from < header.length()) {
            while (from < header.length() && (header.charAt(from) == ' ' || header.charAt(from) == ';')) {
                from++;
            }
            int end = header.indexOf(';', from);
            if (end < 0) {
                end = header.length();
            }
            if (header.startsWith(COOKIE + "=", from)) {
                String v = header.substring(from + COOKIE.length() + 1, Math.min(end, from + COOKIE.length() + 2 + MAX_LENGTH));
                return v.trim();
            }
            from = end + 1;
        }
        return null;
    }
}
