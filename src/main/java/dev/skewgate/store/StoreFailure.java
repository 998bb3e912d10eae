package dev.skewgate.store;

/** The store itself failed (disk, corruption, lost connection): not the caller's fault, answered as 503. */
public final class StoreFailure extends RuntimeException {

    public StoreFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
