package dev.skewgate.model;

/** The input was malformed or broke a rule; nothing was changed. */
public final class InvalidRequestException extends SkewgateException {

    public InvalidRequestException(String code, String message) {
        super(code, message);
    }

    @Override
    public int status() {
        return 400;
    }
}
