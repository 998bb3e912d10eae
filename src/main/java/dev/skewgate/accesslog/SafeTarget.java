package dev.skewgate.accesslog;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A request target fit for a log: the path as sent, and in the query the value of the pin ({@code _skewgate}) and
 * of every parameter whose name looks secret (token, key, secret, password, auth, sig, session, code, ...) replaced
 * by {@link #PLACEHOLDER}. Control characters are escaped so one request stays one line.
 */
public final class SafeTarget {

    /** What a removed value is replaced by. */
    public static final String PLACEHOLDER = "REDACTED";
    private static final Pattern SECRET = Pattern.compile(
            "_skewgate|.*(token|key|secret|passw|pwd|auth|sig|session|credential|code|jwt|saml|ticket).*");
    private static final int MAX = 2048;

    private SafeTarget() {
    }

    /** The target with secret-looking query values replaced; a fragment (never sent by browsers) is dropped too. */
    public static String of(String target) {
        if (target == null || target.isEmpty()) {
            return "-";
        }
        int hash = target.indexOf('#');
        String t = hash >= 0 ? target.substring(0, hash) : target;
        int q = t.indexOf('?');
        if (q < 0) {
            return printable(t);
        }
        StringBuilder b = new StringBuilder(t.length()).append(t, 0, q + 1);
        String[] pairs = t.substring(q + 1).split("&", -1);
        for (int i = 0; i < pairs.length; i++) {
            if (i > 0) {
                b.append('&');
            }
            String pair = pairs[i];
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (eq >= 0 && isSecret(name)) {
                b.append(name).append('=').append(PLACEHOLDER);
            } else {
                b.append(pair);
            }
        }
        return printable(b.toString());
    }

    /** Whether a query parameter's value must not be logged (its name decoded, compared case-insensitively). */
    static boolean isSecret(String name) {
        String decoded;
        try {
            decoded = java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return true; // an undecodable name might hide anything: keep its value out
        }
        return SECRET.matcher(decoded.toLowerCase(Locale.ROOT)).matches();
    }

    /** Controls, quotes and backslashes escaped as \xHH (nginx's rule), bounded in length. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX) + 8);
        for (int i = 0; i < s.length() && i < MAX; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                b.append(String.format("\\x%02X", (int) c));
            } else {
                b.append(c);
            }
        }
        return s.length() > MAX ? b.append("...").toString() : b.toString();
    }
}
