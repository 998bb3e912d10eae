package dev.skewgate.model;

import java.time.Duration;

/**
 * How long superseded deployments keep serving the tabs pinned to them.
 *
 * @param skewWindow a previous deployment is served at least this long after it stopped being active
 * @param keepPrevious and the newest this-many previous deployments are kept whatever their age
 * @param purgeAfter a retired deployment's manifest is dropped (and its blobs released) after this long
 */
public record Retention(Duration skewWindow, int keepPrevious, Duration purgeAfter) {

    public static final Retention DEFAULT = new Retention(Duration.ofHours(24), 5, Duration.ofDays(7));
}
