package dev.skewgate.model;

/** Names inside a gateway's data directory that more than the gateway reads (the CLI finds the admin token there). */
public final class DataLayout {

    /** The admin API's bearer token, owner-only. */
    public static final String ADMIN_TOKEN_FILE = "admin-token";

    private DataLayout() {
    }
}
