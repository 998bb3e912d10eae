package dev.skewgate.model;

/**
 * A change was refused because the routing snapshot it leads to could not be built (a blob missing from the blob
 * folder): the store and the live snapshot stay as they were.
 */
public final class SnapshotFailedException extends SkewgateException {

    public SnapshotFailedException(String message, Throwable cause) {
        super("SNAPSHOT_FAILED", message);
        initCause(cause);
    }

    @Override
    public int status() {
        return 500;
    }
}
