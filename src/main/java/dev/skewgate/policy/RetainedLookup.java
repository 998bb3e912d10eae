package dev.skewgate.policy;

import java.util.Locale;
import java.util.Set;

/**
 * Which missing files an old tab may still get from a retained deployment (README "What the edge does", step 5).
 *
 * <p>The rule never guesses from a file's name whether it is content-hashed: a quarter of Vite's chunk hashes have
 * no digit, and a build tool's naming is not ours to know. It goes by what a running tab loads on its own: scripts,
 * styles, source maps, WebAssembly, fonts, images, media and JSON (lazy translations, data chunks). Documents (HTML
 * entry points), web manifests and other files ({@code robots.txt}, {@code .env}), which no tab lazy-loads, always
 * come from the deployment a request is served by. Service-worker scripts are told by the request, not the name (a
 * property test found Vite hashes ending in {@code -sw}, which a name rule takes for a service worker): the edge never
 * borrows for a request with {@code Service-Worker: script}, so a service worker removed from a build answers 404 to
 * the browser's update check and unregisters. The edge adds the other rules that depend on the request (not for
 * navigations, not for a staged deployment's preview).
 */
public final class RetainedLookup {

    private static final Set<String> SUBRESOURCES = Set.of("js", "mjs", "cjs", "css", "map", "wasm", "json",
            "woff", "woff2", "ttf", "otf", "eot", "png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp",
            "mp4", "webm", "ogg", "mp3", "wav", "m4a", "aac", "flac", "vtt");

    private RetainedLookup() {
    }

    /** Whether a file of a retained deployment may answer a request for {@code path} (no leading slash). */
    public static boolean mayServeFromRetained(String path, String contentType) {
        if (ContentTypes.isHtml(contentType) || CachePolicy.webManifest(path)) {
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
