package dev.skewgate.routing;

import java.util.Optional;

/**
 * The compressed variants of one served file that the gateway computes after the snapshot was built (off the request
 * path): empty until the compressor offers them, then fixed. Its presence alone says the path is compressible, so
 * every response for it carries {@code Vary: Accept-Encoding}, also the identity ones sent before the variants exist.
 * The one thing in a snapshot that changes after it was built, and only from "not yet" to "here".
 */
public final class ComputedVariants {

    private volatile ServedFile brotli;
    private volatile ServedFile gzip;

    public Optional<ServedFile> brotli() {
        return Optional.ofNullable(brotli);
    }

    public Optional<ServedFile> gzip() {
        return Optional.ofNullable(gzip);
    }

    /** Makes a computed variant servable; its {@link ServedFile#contentEncoding} says which one it is. */
    public void offer(ServedFile variant) {
        switch (variant.contentEncoding().orElseThrow()) {
            case ServedFile.BROTLI -> brotli = variant;
            case ServedFile.GZIP -> gzip = variant;
            default -> throw new IllegalArgumentException("no variant slot for " + variant.contentEncoding());
        }
    }
}
