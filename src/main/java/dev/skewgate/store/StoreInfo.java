package dev.skewgate.store;

/**
 * Which store a gateway runs on, for people: {@code sqlite} or {@code postgresql}, and where (a file, or
 * {@code host:port/database}); never a credential.
 */
public record StoreInfo(String kind, String where) {
}
