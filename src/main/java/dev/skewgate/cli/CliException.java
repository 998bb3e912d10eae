package dev.skewgate.cli;

/** A failure the CLI reports as one plain line and exit code 1. */
public final class CliException extends RuntimeException {

    public CliException(String message) {
        super(message);
    }
}
