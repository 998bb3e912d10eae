package dev.skewgate.tls;

import java.util.Locale;

/** Certificate name matching (RFC 6125 §6.4): exact, or {@code *.example.com} for exactly one more label. */
public final class HostNames {

    private HostNames() {
    }

    public static boolean matches(String certName, String host) {
        String name = certName.toLowerCase(Locale.ROOT);
        String h = stripDot(host.toLowerCase(Locale.ROOT));
        if (!name.startsWith("*.")) {
            return name.equals(h);
        }
        int dot = h.indexOf('.');
        return dot > 0 && h.substring(dot).equals(name.substring(1));
    }

    /** The wildcard name that would cover {@code host}, e.g. {@code *.example.com} for {@code a.example.com}. */
    public static String wildcardOf(String host) {
        String h = stripDot(host.toLowerCase(Locale.ROOT));
        int dot = h.indexOf('.');
        return dot > 0 ? "*" + h.substring(dot) : "";
    }

    private static String stripDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }
}
