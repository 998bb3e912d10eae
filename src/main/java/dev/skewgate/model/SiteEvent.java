package dev.skewgate.model;

import java.time.Instant;
import java.util.Optional;

/**
 * One audited change to a site, numbered per site.
 *
 * @param notified how many connected clients were told about it (0 until the push channel exists)
 */
public record SiteEvent(
        String site,
        long seq,
        String type,
        Optional<String> deployment,
        Optional<String> previous,
        String actor,
        Instant at,
        int notified,
        String detail) {
}
