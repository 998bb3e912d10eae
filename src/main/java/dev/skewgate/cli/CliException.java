package dev.skewgate.cli;

/** A failure the CLI reports as one plain line and exit code 1. */
public final class CliException extends RuntimeException {

    private final String code;

    public CliException(String message) {
        this(message, "");
    }

    /** @param code the admin API's error code, or empty */
    public CliException(String message, String code) {
        super(message);
        this.code = code;
    }

    /** The admin API's error code ({@code BACKEND_NOT_READY}), or empty when the failure was not an API answer. */
    public String code() {
        return code;
    }
}
