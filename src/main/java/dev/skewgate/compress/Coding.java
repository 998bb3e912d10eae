package dev.skewgate.compress;

import com.aayushatharva.brotli4j.encoder.BrotliOutputStream;
import com.aayushatharva.brotli4j.encoder.Encoder;
import dev.skewgate.routing.ServedFile;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The two content codings the gateway computes, each with fixed settings. The settings are part of the stored
 * variant's key, so changing them computes new variants instead of serving old bytes under a new name.
 */
public enum Coding {
    /** Brotli at its best quality (11) and default window (22 bits): computed once, so the slow setting pays. */
    BROTLI(ServedFile.BROTLI, "br-11-22"),
    /** gzip at level 9 (java.util.zip), the most any gzip client decodes. */
    GZIP(ServedFile.GZIP, "gzip-9");

    private static final boolean BROTLI_LOADED = loadBrotli();

    private final String token;
    private final String key;

    Coding(String token, String key) {
        this.token = token;
        this.key = key;
    }

    /** Whether brotli4j's native library loaded on this platform (without it, gzip only). */
    public static boolean brotliAvailable() {
        return BROTLI_LOADED;
    }

    private static boolean loadBrotli() {
        try {
            com.aayushatharva.brotli4j.Brotli4jLoader.ensureAvailability();
            return true;
        } catch (Throwable e) { // UnsatisfiedLinkError on a platform brotli4j has no native build for
            return false;
        }
    }

    /** The {@code Content-Encoding} token. */
    public String token() {
        return token;
    }

    /** The coding and its settings, as the stored variant's name ends. */
    public String key() {
        return key;
    }

    /** A stream that writes this coding of what is written to it into {@code out}; closing it finishes the coding. */
    OutputStream encoder(OutputStream out) throws IOException {
        if (this == BROTLI) {
            Encoder.Parameters p = new Encoder.Parameters().setQuality(11).setWindow(22);
            return new BrotliOutputStream(out, p, 64 * 1024);
        }
        return new GZIPOutputStream(out, 64 * 1024) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        };
    }
}
