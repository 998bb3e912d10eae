package dev.skewgate.policy;

import java.util.regex.Pattern;

/**
 * Path globs for per-site rules, matched against a manifest path without its leading slash:
 * {@code *} matches within one segment, {@code **} across segments, {@code ?} one character.
 * Hand-written because {@code java.nio.file.PathMatcher} depends on the platform's file system rules.
 */
public final class Globs {

    private Globs() {
    }

    public static Pattern compile(String glob) {
        String g = glob.startsWith("/") ? glob.substring(1) : glob;
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (c == '*') {
                if (i + 1 < g.length() && g.charAt(i + 1) == '*') {
                    i++;
                    if (i + 1 < g.length() && g.charAt(i + 1) == '/') {
                        i++;
                        re.append("(?:.*/)?");
                    } else {
                        re.append(".*");
                    }
                } else {
                    re.append("[^/]*");
                }
            } else if (c == '?') {
                re.append("[^/]");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
