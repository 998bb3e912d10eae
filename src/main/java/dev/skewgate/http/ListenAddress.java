package dev.skewgate.http;

/** How to reach, and how to write in a URL, an address a listener is bound to. */
public final class ListenAddress {

    private ListenAddress() {
    }

    /** A host to connect to a listener bound to {@code bound}: a wildcard address becomes {@code local}. */
    public static String reachable(String bound, String local) {
        return bound.equals("0.0.0.0") || bound.equals("::") || bound.equals("[::]") ? local : bound;
    }

    /** {@code host} as a URL's host: an IPv6 literal gets brackets (RFC 3986 §3.2.2). */
    public static String inUrl(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
