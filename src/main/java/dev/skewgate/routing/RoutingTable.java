package dev.skewgate.routing;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The immutable routing snapshot: host name -> site. The control plane builds a site's new route, then swaps in a
 * table that differs from the live one by that site only; the data plane reads it without locks.
 *
 * @param sites every site's route by site name
 * @param exact sites by exact host name
 * @param wildcard sites by the suffix a {@code *.example.com} name covers, stored as {@code .example.com}; like a TLS
 *                 wildcard it matches exactly one more label
 * @param generation increases with every swap, for logs and tests
 */
public record RoutingTable(Map<String, SiteRoute> sites, Map<String, SiteRoute> exact, Map<String, SiteRoute> wildcard,
                           long generation) {

    public static final RoutingTable EMPTY = new RoutingTable(Map.of(), Map.of(), Map.of(), 0);

    /** A table of exactly these sites. */
    public static RoutingTable of(Map<String, SiteRoute> sites, long generation) {
        Map<String, SiteRoute> exact = new HashMap<>();
        Map<String, SiteRoute> wildcard = new HashMap<>();
        for (SiteRoute route : sites.values()) {
            for (String host : route.hosts()) {
                if (host.startsWith("*.")) {
                    wildcard.put(host.substring(1), route);
                } else {
                    exact.put(host, route);
                }
            }
        }
        return new RoutingTable(Map.copyOf(sites), Map.copyOf(exact), Map.copyOf(wildcard), generation);
    }

    /** This table with one site's route added or replaced; no other site's route changes. */
    public RoutingTable withSite(SiteRoute route) {
        Map<String, SiteRoute> next = new HashMap<>(sites);
        next.put(route.name(), route);
        return of(next, generation + 1);
    }

    /** This table without the site (deleted): its host names are no longer served. */
    public RoutingTable withoutSite(String name) {
        Map<String, SiteRoute> next = new HashMap<>(sites);
        next.remove(name);
        return of(next, generation + 1);
    }

    /** Servable deployments not compiled yet, over all sites: 0 once the start's background compile is done. */
    public int pending() {
        int pending = 0;
        for (SiteRoute site : sites.values()) {
            pending += site.pending().size();
        }
        return pending;
    }

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
