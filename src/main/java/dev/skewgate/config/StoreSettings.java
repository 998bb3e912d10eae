package dev.skewgate.config;

import java.util.Optional;

/**
 * Where {@code serve} keeps its state: the embedded SQLite store and blob folder in the data directory (no URL), or
 * PostgreSQL at a store URL, with blobs there too and a local cache of them bounded to {@code blobCacheBytes}.
 *
 * @param url the PostgreSQL store URL, credentials included (never printed: see {@code PostgresUrl.redacted})
 */
public record StoreSettings(Optional<String> url, long blobCacheBytes) {

    /** The default size of the local blob cache on PostgreSQL. */
    public static final long DEFAULT_BLOB_CACHE = 4L << 30;

    /** SQLite in the data directory. */
    public static final StoreSettings EMBEDDED = new StoreSettings(Optional.empty(), DEFAULT_BLOB_CACHE);

    public static StoreSettings postgres(String url, long blobCacheBytes) {
        return new StoreSettings(Optional.of(url), blobCacheBytes);
    }

    /** Not the URL: it may hold a password. */
    @Override
    public String toString() {
        return url.isPresent() ? "StoreSettings[postgresql, blobCacheBytes=" + blobCacheBytes + "]"
                : "StoreSettings[sqlite]";
    }

    /** A size such as {@code 512m}, {@code 4g} or {@code 1048576} (bytes; k, m, g, t are powers of 1024). */
    public static long parseSize(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        t = t.endsWith("ib") ? t.substring(0, t.length() - 2) : t.endsWith("b") ? t.substring(0, t.length() - 1) : t;
        int shift = 0;
        if (!t.isEmpty() && "kmgt".indexOf(t.charAt(t.length() - 1)) >= 0) {
            shift = 10 * ("kmgt".indexOf(t.charAt(t.length() - 1)) + 1);
            t = t.substring(0, t.length() - 1);
        }
        long n;
        try {
            n = Long.parseLong(t);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + text + "' is not a size (a number of bytes, or with k, m, g or t, "
                    + "as in 4g)");
        }
        return n << shift;
    }
}
