package dev.skewgate.policy;

import java.util.Locale;
import java.util.Set;

/**
 * Which missing files an old tab may still get from a retained deployment (README "What the edge does", step 5).
 *
 * <p>The rule never guesses from a file's name whether it is content-hashed: a quarter of Vite's chunk hashes have
 * no digit, and a build tool's naming is not ours to know. It goes by what a running tab loads on its own: scripts,
 * styles, source maps, WebAssembly, fonts, images, media and JSON (lazy translations, data chunks). Documents and the
 * files that decide which version a client runs (HTML entry points, service-worker scripts, web manifests) always come
 * from the deployment a request is served by, so an entry point or service worker removed from a new build is really
 * gone (a browser unregisters a service worker whose script answers 404); so do other files ({@code robots.txt},
 * {@code .env}), which no tab lazy-loads. The edge adds the rules that depend on the request (not for navigations,
 * not for service-worker script fetches, not for a staged deployment's preview).
 */
public final class RetainedLookup {

    private static final Set<String> SUBRESOURCES = Set.of("js", "mjs", "cjs", "css", "map", "wasm", "json",
            "woff", "woff2", "ttf", "otf", "eot", "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp",
            "mp4", "webm", "ogg", "mp3", "wav", "m4a", "aac", "flac", "vtt");

    private RetainedLookup() {
    }

    /** Whether a file of a retained deployment may answer a request for {@code path} (no leading slash). */
    public static boolean mayServeFromRetained(String path, String contentType) {
        if (CachePolicy.kind(path, contentType) == CachePolicy.Kind.ENTRY) {
            return false;
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.endsWith(".br") || name.endsWith(".gz")) {
            name = name.substring(0, name.length() - 3);
        }
        int dot = name.lastIndexOf('.');
        return dot > 0 && SUBRESOURCES.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
