package dev.skewgate.edge;

/**
 * A request refused for its framing or head (RFC 9112): the status to answer and a message fit for the client. The
 * connection is always closed afterwards, since what follows on it can no longer be trusted to be a request.
 */
final class FramingException extends RuntimeException {

    private final int status;

    FramingException(int status, String message) {
        super(message, null, false, false); // a client error, not a bug: no stack trace
        this.status = status;
    }

    int status() {
        return status;
    }
}
