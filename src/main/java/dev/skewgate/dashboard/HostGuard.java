package dev.skewgate.dashboard;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which {@code Host} headers the admin listener answers: against DNS rebinding, where a web page's own name is
 * pointed at 127.0.0.1 so the browser sends it a request with that foreign name. Allowed: IP addresses (a page on
 * a name cannot make the browser send one), {@code localhost} and {@code *.localhost} (RFC 6761 §6.3: browsers
 * resolve those to loopback themselves), the address the listener is bound to and the configured names.
 */
public final class HostGuard {

    private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

    private final Set<String> names;

    public HostGuard(String boundHost, List<String> configured) {
        this.names = java.util.stream.Stream.concat(java.util.stream.Stream.of(boundHost), configured.stream())
                .map(HostGuard::normalised).collect(Collectors.toUnmodifiableSet());
    }

    /** Whether a request with this {@code Host} header may be answered (one without, from no browser, may). */
    public boolean allows(String hostHeader) {
        if (hostHeader == null) {
            return true;
        }
        String host = withoutPort(hostHeader.trim());
        if (host.startsWith("[") && host.endsWith("]")) {
            return true; // an IPv6 literal
        }
        host = normalised(host);
        return IPV4.matcher(host).matches() || host.equals("localhost") || host.endsWith(".localhost")
                || names.contains(host);
    }

    private static String withoutPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    private static String normalised(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }
}
