package dev.skewgate.model;

/** The request is well formed but the current state does not allow it. */
public final class ConflictException extends SkewgateException {

    public ConflictException(String code, String message) {
        super(code, message);
    }

    @Override
    public int status() {
        return 409;
    }
}
