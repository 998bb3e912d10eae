package dev.skewgate.routing;

import java.util.Map;
import java.util.Optional;

/**
 * The immutable routing snapshot: host name -> site. The control plane builds a whole new table and swaps it in
 * one step; the data plane reads it without locks.
 *
 * @param exact sites by exact host name
 * @param wildcard sites by the suffix a {@code *.example.com} name covers, stored as {@code .example.com}; like a TLS
 *                 wildcard it matches exactly one more label
 * @param generation increases with every swap, for logs and tests
 */
public record RoutingTable(Map<String, SiteRoute> exact, Map<String, SiteRoute> wildcard, long generation) {

    public static final RoutingTable EMPTY = new RoutingTable(Map.of(), Map.of(), 0);

    /** The site serving a host name that is already lowercase and without port; exact names win over wildcards. */
    public Optional<SiteRoute> lookup(String host) {
        SiteRoute site = exact.get(host);
        if (site != null) {
            return Optional.of(site);
        }
        int dot = host.indexOf('.');
        if (dot <= 0) {
            return Optional.empty();
        }
        return Optional.ofNullable(wildcard.get(host.substring(dot)));
    }
}
