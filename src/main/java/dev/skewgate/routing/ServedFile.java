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
 * @param brotli precompressed {@code .br} sibling from the same deployment, if any
 * @param gzip precompressed {@code .gz} sibling from the same deployment, if any
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
        boolean html) {

    /** This representation, answering at the request path of {@code base} (a .br/.gz sibling of it). */
    public ServedFile withPathOf(dev.skewgate.model.ManifestEntry base) {
        return new ServedFile(base.path(), length, contentType, etag, lastModified, cacheControl, headers, bytes, blob,
                contentEncoding, brotli, gzip, html);
    }

    /** Whether a client that accepts compression may get a different representation (so caches must Vary). */
    public boolean hasVariants() {
        return brotli.isPresent() || gzip.isPresent();
    }
}
