package dev.skewgate.policy;

/**
 * Which missing files an old tab may still get from a retained deployment (README "What the edge does", step 5).
 *
 * <p>The rule never guesses from a file's name: a quarter of Vite's chunk hashes have no digit, and a build tool's
 * naming is not ours to know. Any file may come from the newest retained deployment that has it, except the files
 * that decide which version a client runs (HTML entry points, service-worker scripts, web manifests): those always
 * come from the deployment the request is served by, so an entry point or service worker removed from a new build
 * is really gone (a browser unregisters a service worker whose script answers 404).
 */
public final class RetainedLookup {

    private RetainedLookup() {
    }

    /** Whether a file of a retained deployment may answer a request for {@code path} (no leading slash). */
    public static boolean mayServeFromRetained(String path, String contentType) {
        return CachePolicy.kind(path, contentType) != CachePolicy.Kind.ENTRY;
    }
}
