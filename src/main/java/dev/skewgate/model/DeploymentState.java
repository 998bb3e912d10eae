package dev.skewgate.model;

import java.util.Locale;

/** The life cycle of a deployment: uploading -> staged -> active -> previous -> retired -> purged. */
public enum DeploymentState {
    /** Manifest accepted, blobs still arriving; never served, never listed as a version. */
    UPLOADING,
    /** Every blob present; reachable only by an explicit pin (preview URL). */
    STAGED,
    /** The one deployment a site serves to unpinned clients. */
    ACTIVE,
    /** Was active; still serves clients pinned to it, and is a rollback target. */
    PREVIOUS,
    /** Deliberately turned off: pinned requests are told so, its files are no longer served. */
    RETIRED,
    /** Retired long enough that its manifest was dropped and its blobs released. */
    PURGED;

    /** The lowercase name used on the wire and in the database. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static DeploymentState fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }

    /** Whether files of a deployment in this state may be served to a client that asks for it. */
    public boolean servable() {
        return this == STAGED || this == ACTIVE || this == PREVIOUS;
    }
}
