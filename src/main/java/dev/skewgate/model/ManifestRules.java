package dev.skewgate.model;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules every uploaded manifest must pass before anything is stored. A manifest path is the only key a request
 * can ever reach a file by, so these rules are what keeps the data plane inside the build.
 */
public final class ManifestRules {

    public static final int MAX_ENTRIES = 100_000;
    public static final int MAX_PATH_BYTES = 1024;
    public static final int MAX_SEGMENT_BYTES = 255;
    public static final long MAX_FILE_BYTES = 1L << 31;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private ManifestRules() {
    }

    /** Throws {@link InvalidRequestException} naming the first offending entry; returns the entries unchanged. */
    public static List<ManifestEntry> check(List<ManifestEntry> entries) {
        if (entries.isEmpty()) {
            throw bad("EMPTY_MANIFEST", "the manifest lists no files");
        }
        if (entries.size() > MAX_ENTRIES) {
            throw new TooLargeException("MANIFEST_TOO_LARGE",
                    "the manifest lists " + entries.size() + " files; the limit is " + MAX_ENTRIES);
        }
        Set<String> seen = new HashSet<>();
        Map<String, String> folded = new HashMap<>();
        for (ManifestEntry entry : entries) {
            checkPath(entry.path());
            if (entry.sha256() == null || !SHA256.matcher(entry.sha256()).matches()) {
                throw bad("INVALID_SHA256", "'" + entry.path() + "': sha256 must be 64 lowercase hex characters");
            }
            if (entry.size() < 0 || entry.size() > MAX_FILE_BYTES) {
                throw bad("INVALID_SIZE", "'" + entry.path() + "': size " + entry.size() + " is out of range");
            }
            if (!seen.add(entry.path())) {
                throw bad("DUPLICATE_PATH", "'" + entry.path() + "' is listed twice");
            }
            String other = folded.putIfAbsent(entry.path().toLowerCase(Locale.ROOT), entry.path());
            if (other != null) {
                throw bad("CASE_COLLISION", "'" + entry.path() + "' and '" + other
                        + "' differ only in case; they would collide on case-insensitive file systems and CDNs");
            }
        }
        return entries;
    }

    /** A relative path of plain segments separated by '/', in printable UTF-8. */
    public static void checkPath(String path) {
        if (path == null || path.isEmpty()) {
            throw bad("INVALID_PATH", "a manifest path is empty");
        }
        String shown = printable(path);
        if (path.startsWith("/")) {
            throw bad("INVALID_PATH", "'" + shown + "' is absolute; paths are relative to the build root");
        }
        if (path.indexOf('\\') >= 0) {
            throw bad("INVALID_PATH", "'" + shown + "' contains a backslash; use '/' as the separator");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                throw bad("INVALID_PATH", "'" + shown + "' contains a control character");
            }
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < path.length()
                        && Character.isLowSurrogate(path.charAt(i + 1));
                if (!paired) {
                    throw bad("INVALID_PATH", "'" + shown + "' is not valid Unicode");
                }
                i++;
            }
        }
        if (utf8Length(path) > MAX_PATH_BYTES) {
            throw bad("PATH_TOO_LONG", "'" + shown.substring(0, 40) + "...' is longer than " + MAX_PATH_BYTES + " bytes");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                throw bad("INVALID_PATH", "'" + shown + "' has an empty segment ('//' or a trailing '/')");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw bad("INVALID_PATH", "'" + shown + "' contains a '" + segment + "' segment");
            }
            if (utf8Length(segment) > MAX_SEGMENT_BYTES) {
                throw bad("PATH_TOO_LONG", "'" + shown + "' has a segment longer than " + MAX_SEGMENT_BYTES + " bytes");
            }
        }
    }

    private static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    private static String printable(String path) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < path.length() && out.length() < 200; i++) {
            char c = path.charAt(i);
            out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return out.toString();
    }

    private static InvalidRequestException bad(String code, String message) {
        return new InvalidRequestException(code, message);
    }
}
