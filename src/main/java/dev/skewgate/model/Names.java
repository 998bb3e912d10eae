package dev.skewgate.model;

import java.net.IDN;
import java.util.Locale;
import java.util.regex.Pattern;

/** Validation of the names a user chooses: site names, host names, API prefixes. */
public final class Names {

    private static final Pattern SITE = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern PREFIX = Pattern.compile("/([A-Za-z0-9._~-]+/)+");

    private Names() {
    }

    public static String siteName(String name) {
        if (name == null || !SITE.matcher(name).matches()) {
            throw new InvalidRequestException("INVALID_SITE_NAME",
                    "site name '" + name + "' must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit");
        }
        return name;
    }

    /**
     * A host name as matched against the Host header: lowercase, ASCII (IDN converted), no port; a leading
     * {@code *.} makes it a wildcard for exactly one more label.
     */
    public static String hostName(String raw) {
        if (raw == null || raw.isBlank()) {
            throw new InvalidRequestException("INVALID_HOST", "host name must not be empty");
        }
        String host = raw.trim().toLowerCase(Locale.ROOT);
        boolean wildcard = host.startsWith("*.");
        String rest = wildcard ? host.substring(2) : host;
        try {
            rest = IDN.toASCII(rest, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("INVALID_HOST", "host name '" + raw + "' is not a valid DNS name");
        }
        String[] labels = rest.split("\\.", -1);
        if (rest.length() > 253 || labels.length < 1) {
            throw new InvalidRequestException("INVALID_HOST", "host name '" + raw + "' is too long");
        }
        for (String label : labels) {
            if (!LABEL.matcher(label).matches()) {
                throw new InvalidRequestException("INVALID_HOST",
                        "host name '" + raw + "' is not a DNS name (no ports, schemes, paths or '*' inside; "
                                + "a wildcard is '*.example.com')");
            }
        }
        if (wildcard && labels.length < 2) {
            throw new InvalidRequestException("INVALID_HOST",
                    "wildcard '" + raw + "' must cover a domain with at least two labels, e.g. '*.example.com'");
        }
        return wildcard ? "*." + rest : rest;
    }

    /** An API path prefix such as {@code /api/}: starts and ends with a slash, plain segments only. */
    public static String apiPrefix(String raw) {
        String prefix = raw == null ? "" : raw.trim();
        if (!prefix.endsWith("/")) {
            prefix = prefix + "/";
        }
        if (!PREFIX.matcher(prefix).matches() || prefix.contains("/./") || prefix.contains("/../")
                || prefix.startsWith("/_skewgate/")) {
            throw new InvalidRequestException("INVALID_API_PREFIX",
                    "API prefix '" + raw + "' must look like '/api/' (plain path segments, not under /_skewgate/)");
        }
        return prefix;
    }

    /**
     * Whether the configured host name {@code pattern} (exact, or {@code *.example.com} for exactly one more label)
     * covers the concrete, lowercase {@code host}: the rule the edge routes by.
     */
    public static boolean covers(String pattern, String host) {
        if (!pattern.startsWith("*.")) {
            return pattern.equals(host);
        }
        String suffix = pattern.substring(1); // ".example.com"
        return !host.startsWith("*.") && host.endsWith(suffix) && host.length() > suffix.length()
                && host.indexOf('.') == host.length() - suffix.length();
    }
}
