package dev.skewgate.routing;

import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One file as the data plane serves it, with every header precomputed when the snapshot was built: deployments
 * are immutable, so nothing about a response needs to be worked out per request.
 *
 * @param bytes the body, when small enough to keep in memory; otherwise it is sent from {@code blob} by sendfile
 * @param headers headers from the site's rules, applied after the defaults (a rule may replace Cache-Control)
 * @param brotli brotli representation known when the snapshot was built: the build's {@code .br} sibling, or the
 *     variant the gateway computed earlier (within the memory budget like any file)
 * @param gzip the same for gzip ({@code .gz} sibling or computed variant)
 * @param computed present for a compressible file: the variants still being computed arrive there (from disk)
 * @param html an entry point whose bytes carry the injected tags
 */
public record ServedFile(
        String path,
        long length,
        String contentType,
        String etag,
        String lastModified,
        String cacheControl,
        List<Map.Entry<String, String>> headers,
        Optional<Buffer> bytes,
        Path blob,
        Optional<String> contentEncoding,
        Optional<ServedFile> brotli,
        Optional<ServedFile> gzip,
        Optional<ComputedVariants> computed,
        boolean html) {

    public static final String BROTLI = "br";
    public static final String GZIP = "gzip";

    /** This representation, answering at the request path of {@code base} (a .br/.gz sibling of it). */
    public ServedFile withPathOf(dev.skewgate.model.ManifestEntry base) {
        return new ServedFile(base.path(), length, contentType, etag, lastModified, cacheControl, headers, bytes, blob,
                contentEncoding, brotli, gzip, computed, html);
    }

    /** Another representation of this file: the same headers, its own coding, length, ETag and bytes. */
    public ServedFile encoded(String coding, Path variantBlob, long variantLength, String variantEtag,
                              Optional<Buffer> variantBytes) {
        return new ServedFile(path, variantLength, contentType, variantEtag, lastModified, cacheControl, headers,
                variantBytes, variantBlob, Optional.of(coding), Optional.empty(), Optional.empty(), Optional.empty(),
                false);
    }

    /** The brotli representation if there is one now. */
    public Optional<ServedFile> brotliNow() {
        return brotli.isPresent() ? brotli : computed.flatMap(ComputedVariants::brotli);
    }

    /** The gzip representation if there is one now. */
    public Optional<ServedFile> gzipNow() {
        return gzip.isPresent() ? gzip : computed.flatMap(ComputedVariants::gzip);
    }

    /** Whether a client that accepts compression may get a different representation (so caches must Vary). */
    public boolean hasVariants() {
        return brotli.isPresent() || gzip.isPresent() || computed.isPresent();
    }
}
