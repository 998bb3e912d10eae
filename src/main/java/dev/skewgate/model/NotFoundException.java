package dev.skewgate.model;

/** The named site or deployment does not exist. */
public final class NotFoundException extends SkewgateException {

    public NotFoundException(String code, String message) {
        super(code, message);
    }

    @Override
    public int status() {
        return 404;
    }
}
