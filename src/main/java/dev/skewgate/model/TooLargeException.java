package dev.skewgate.model;

/** The input exceeded a size limit. */
public final class TooLargeException extends SkewgateException {

    public TooLargeException(String code, String message) {
        super(code, message);
    }

    @Override
    public int status() {
        return 413;
    }
}
