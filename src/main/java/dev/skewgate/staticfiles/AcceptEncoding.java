package dev.skewgate.staticfiles;

import java.util.Locale;

/**
 * Content negotiation on {@code Accept-Encoding} (RFC 9110 §12.5.3) between the representations a file has: brotli,
 * gzip and identity. The highest q-value wins; on a tie brotli before gzip before identity (smaller first).
 * {@code *} stands for every coding the header does not name; {@code x-gzip} is gzip (§8.4.1.3). Identity is
 * acceptable unless {@code identity;q=0} (or {@code *;q=0} without an identity entry) excludes it, but an unnamed
 * identity ranks below every named coding. When nothing is acceptable, identity is sent anyway (as nginx does): a
 * 406 for a static file helps no client. No header at all gets identity too: a client that says nothing may not
 * decode anything.
 */
public final class AcceptEncoding {

    /** The representation to send. */
    public enum Choice { BROTLI, GZIP, IDENTITY }

    private AcceptEncoding() {
    }

    public static Choice choose(String header, boolean haveBrotli, boolean haveGzip) {
        if (header == null || !(haveBrotli || haveGzip)) {
            return Choice.IDENTITY;
        }
        double br = -1;
        double gzip = -1;
        double identity = -1;
        double star = -1;
        for (String part : header.split(",", -1)) {
            int semi = part.indexOf(';');
            String name = (semi < 0 ? part : part.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            double q = semi < 0 ? 1 : weight(part.substring(semi + 1));
            if (Double.isNaN(q)) {
                continue; // a malformed weight: the element is ignored, not guessed at
            }
            // The first mention of a coding counts; a repeat cannot raise or lower it.
            switch (name) {
                case "br" -> br = br < 0 ? q : br;
                case "gzip", "x-gzip" -> gzip = gzip < 0 ? q : gzip;
                case "identity" -> identity = identity < 0 ? q : identity;
                case "*" -> star = star < 0 ? q : star;
                default -> {
                }
            }
        }
        double qBr = !haveBrotli ? 0 : br >= 0 ? br : Math.max(star, 0);
        double qGzip = !haveGzip ? 0 : gzip >= 0 ? gzip : Math.max(star, 0);
        double best = Math.max(qBr, qGzip);
        if (best <= 0 || identity > best) {
            return Choice.IDENTITY;
        }
        return qBr >= qGzip ? Choice.BROTLI : Choice.GZIP;
    }

    /** The {@code q} of an element's parameters ({@code ;q=0.8}): 1 without one, NaN when malformed (§12.4.2). */
    private static double weight(String params) {
        double q = 1;
        for (String param : params.split(";", -1)) {
            String p = param.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq < 0) {
                return Double.NaN;
            }
            String key = p.substring(0, eq).trim();
            if (!key.equalsIgnoreCase("q")) {
                continue;
            }
            String v = p.substring(eq + 1).trim();
            if (!v.matches("0(\\.[0-9]{0,3})?|1(\\.0{0,3})?")) {
                return Double.NaN;
            }
            q = Double.parseDouble(v);
        }
        return q;
    }
}
