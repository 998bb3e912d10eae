package dev.skewgate.model;

/** The caller's If-Match revision is stale: someone changed the site first. */
public final class PreconditionFailedException extends SkewgateException {

    public PreconditionFailedException(String code, String message) {
        super(code, message);
    }

    @Override
    public int status() {
        return 412;
    }
}
