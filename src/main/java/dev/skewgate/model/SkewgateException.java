package dev.skewgate.model;

/**
 * A refusal that names its cause: a stable machine code for the admin API's {@code error} field and a message
 * a person can act on. The subclass decides the HTTP status.
 */
public abstract class SkewgateException extends RuntimeException {

    private final String code;

    protected SkewgateException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** The HTTP status this refusal maps to on the admin API. */
    public abstract int status();
}
