package dev.skewgate.model;

/** The disk under the data directory is full: nothing was changed, and the same request works once space is freed. */
public final class InsufficientStorageException extends SkewgateException {

    public InsufficientStorageException(String message, Throwable cause) {
        super("INSUFFICIENT_STORAGE", message);
        if (cause != null) {
            initCause(cause);
        }
    }

    @Override
    public int status() {
        return 507; // RFC 4918 §11.5
    }
}
