package dev.skewgate.config;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * How {@code skewgate serve} can be watched: the access log and where {@code /metrics} is served besides the admin
 * listener.
 *
 * @param accessLog the access-log format; {@link Format#OFF} by default (a line per request costs CPU on the request
 *                  path and I/O, and the benchmarks measure the edge without it, as nginx's runs use access_log off)
 * @param accessLogFile where the lines go (rotated by size), stdout when empty
 * @param metricsHost with {@code metricsPort}: a separate listener serving only {@code /metrics} without a token
 * @param metricsPort its port (0: any free one); ignored when {@code metricsHost} is empty
 */
public record Observability(Format accessLog, Optional<Path> accessLogFile, Optional<String> metricsHost,
                            int metricsPort) {

    /** Nothing extra: no access log, /metrics on the admin listener only. */
    public static final Observability DEFAULTS = new Observability(Format.OFF, Optional.empty(), Optional.empty(), 0);

    /** An access-log line format. */
    public enum Format {
        /** Apache/nginx "combined", then the gateway's fields as key=value. */
        COMBINED,
        /** One JSON object per line. */
        JSON,
        OFF;

        /** The format a flag names, or a message listing the choices. */
        public static Format parse(String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--access-log: '" + text + "' is not a format; choose combined, "
                        + "json or off");
            }
        }
    }

    public Observability withAccessLog(Format format, Optional<Path> file) {
        return new Observability(format, file, metricsHost, metricsPort);
    }

    public Observability withMetricsListen(String host, int port) {
        return new Observability(accessLog, accessLogFile, Optional.of(host), port);
    }
}
