package dev.skewgate.policy;

import java.util.regex.Pattern;

/**
 * The default Cache-Control for a served file (DESIGN.md "Cache policy"): entry points and the documents that
 * decide which version a client runs are revalidated every time; content-hashed names are immutable; everything
 * else may be stored but is revalidated. Sites override it with header rules.
 */
public final class CachePolicy {

    public static final String REVALIDATE_ALWAYS = "no-cache";
    public static final String IMMUTABLE = "public, max-age=31536000, immutable";
    public static final String REVALIDATE = "public, max-age=0, must-revalidate";
    public static final String NO_STORE = "no-store";

    /** What kind of file a path is, for caching purposes. */
    public enum Kind { ENTRY, HASHED, OTHER }

    // A build tool's content hash right before the extension, after a '.' or '-': exactly 8 base64url characters
    // with a digit and a letter (Vite/Rollup: index-BpR0kXg2.js, esbuild), or 6+ lowercase hex characters with a
    // digit and a letter (webpack, Parcel, Angular: main.a3f4c2.css). A hash without a digit is missed, which is
    // safe: the file is revalidated instead of cached forever.
    private static final Pattern HASH_SEGMENT = Pattern.compile(
            ".*[.-](?:(?=.{0,7}[0-9])(?=.{0,7}[A-Za-z])[A-Za-z0-9_-]{8}|(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{6,})"
                    + "(?:\\.[A-Za-z0-9]+)+");
    private static final Pattern SERVICE_WORKER = Pattern.compile(
            "(?:.*[/._-])?(?:sw|service-?worker|serviceworker|ngsw-worker|OneSignalSDK(?:Updater)?Worker)\\.m?js", Pattern.CASE_INSENSITIVE);
    private static final Pattern WEB_MANIFEST = Pattern.compile(
            "(?:.*/)?(?:manifest\\.json|ngsw\\.json|[^/]*\\.webmanifest)", Pattern.CASE_INSENSITIVE);

    private CachePolicy() {
    }

    /** Classifies a manifest path (no leading slash) served with the given content type. */
    public static Kind kind(String path, String contentType) {
        if (ContentTypes.isHtml(contentType) || SERVICE_WORKER.matcher(path).matches()
                || WEB_MANIFEST.matcher(path).matches()) {
            return Kind.ENTRY;
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        String bare = stripCompressionSuffix(name);
        if (HASH_SEGMENT.matcher(bare).matches()) {
            return Kind.HASHED;
        }
        return Kind.OTHER;
    }

    /** A web manifest by name ({@code manifest.json}, {@code ngsw.json}, {@code *.webmanifest}). */
    public static boolean webManifest(String path) {
        return WEB_MANIFEST.matcher(path).matches();
    }

    public static String cacheControl(Kind kind) {
        return switch (kind) {
            case ENTRY -> REVALIDATE_ALWAYS;
            case HASHED -> IMMUTABLE;
            case OTHER -> REVALIDATE;
        };
    }

    private static String stripCompressionSuffix(String name) {
        if (name.endsWith(".br")) {
            return name.substring(0, name.length() - 3);
        }
        if (name.endsWith(".gz")) {
            return name.substring(0, name.length() - 3);
        }
        return name;
    }
}
