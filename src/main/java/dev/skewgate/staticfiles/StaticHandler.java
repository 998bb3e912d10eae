package dev.skewgate.staticfiles;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.http.Headers;
import dev.skewgate.http.HttpDate;
import dev.skewgate.policy.ContentTypes;
import dev.skewgate.routing.DeploymentRoute;
import dev.skewgate.routing.RetainedFile;
import dev.skewgate.routing.ServedFile;
import dev.skewgate.routing.SiteRoute;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Serves a deployment's files from the routing snapshot: manifest lookup, the fallback to retained deployments
 * for an old tab's missing files, SPA entry point for navigations only, conditional requests, ranges,
 * precompressed variants.
 * Everything it needs is precomputed in {@link ServedFile}; it never touches the disk except through sendfile.
 */
public final class StaticHandler {

    private StaticHandler() {
    }

    /**
     * @param deployment the deployment the request is pinned to (or the active one)
     * @param navigation whether the request is a document load
     */
    public static void handle(HttpServerRequest request, SiteRoute site, DeploymentRoute deployment, boolean navigation) {
        request.response().putHeader(Headers.DEPLOYMENT, deployment.id());
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            request.response().putHeader(Headers.ALLOW, "GET, HEAD");
            DataPlaneErrors.send(request, 405, "static files answer GET and HEAD only");
            return;
        }
        RequestPath parsed = RequestPath.parse(request.path());
        if (parsed.refusal().isPresent()) {
            DataPlaneErrors.send(request, parsed.refusal().get().status(), parsed.refusal().get().reason());
            return;
        }
        String path = parsed.path().get();
        ServedFile file = find(deployment, path);
        if (file != null) {
            send(request, deployment, file, 200);
            return;
        }
        if (mayBorrow(request, deployment, navigation)) {
            // An old tab's lazy chunk (or image, or font) after a new activation: the newest retained deployment
            // that has it answers, and says so.
            Optional<RetainedFile> retained = site.retained(path);
            if (retained.isPresent()) {
                request.response().putHeader(Headers.DEPLOYMENT, retained.get().deploymentId());
                send(request, deployment, retained.get().file(), 200);
                return;
            }
        }
        boolean extensionless = ContentTypes.extension(path).isEmpty();
        if (navigation && extensionless && site.spa() && deployment.entryPoint().isPresent()) {
            send(request, deployment, deployment.entryPoint().get(), 200);
            return;
        }
        if (navigation && deployment.notFoundPage().isPresent()) {
            sendNotFoundPage(request, deployment, deployment.notFoundPage().get());
            return;
        }
        DataPlaneErrors.send(request, 404, "no file '" + path + "' in deployment " + deployment.id());
    }

    /**
     * Whether the answer to this request may come from a deployment of the site that is not compiled yet: a file
     * missing from the deployment it is served by, which an older one might lend (the site still has some pending).
     * Such a request must wait for them; a 404 now would be the answer of a half-loaded snapshot.
     */
    public static boolean awaitsLender(HttpServerRequest request, SiteRoute site, DeploymentRoute deployment,
                                       boolean navigation) {
        if (site.complete() || !mayBorrow(request, deployment, navigation)
                || request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            return false;
        }
        RequestPath parsed = RequestPath.parse(request.path());
        return parsed.path().isPresent() && find(deployment, parsed.path().get()) == null
                && site.retained(parsed.path().get()).isEmpty();
    }

    /**
     * A navigation always gets the version it is served by; a preview of a staged build shows it as built; a
     * service worker's update check sees its script really gone. Any other request may borrow a missing file.
     */
    private static boolean mayBorrow(HttpServerRequest request, DeploymentRoute deployment, boolean navigation) {
        return !navigation && !deployment.staged() && !serviceWorkerScript(request);
    }

    /** A browser fetching a service worker's script sends {@code Service-Worker: script} (Service Workers §4.4). */
    private static boolean serviceWorkerScript(HttpServerRequest request) {
        return request.getHeader(Headers.SERVICE_WORKER) != null
                || "serviceworker".equals(request.getHeader(Headers.SEC_FETCH_DEST));
    }

    private static ServedFile find(DeploymentRoute deployment, String path) {
        Map<String, ServedFile> files = deployment.files();
        ServedFile file;
        if (path.endsWith("/")) {
            file = files.get(path + "index.html");
        } else {
            file = files.get(path);
            if (file == null && ContentTypes.extension(path).isEmpty()) {
                file = files.get(path + "/index.html");
            }
        }
        return file;
    }

    private static void sendNotFoundPage(HttpServerRequest request, DeploymentRoute deployment, ServedFile page) {
        HttpServerResponse response = request.response();
        response.setStatusCode(404)
                .putHeader(Headers.CONTENT_TYPE, page.contentType())
                .putHeader(Headers.CACHE_CONTROL, Headers.NO_STORE)
                .putHeader(Headers.NOSNIFF_NAME, Headers.NOSNIFF)
                .putHeader(Headers.DATE, HttpDate.now());
        body(request, response, page, 0, page.length());
    }

    static void send(HttpServerRequest request, DeploymentRoute deployment, ServedFile file, int status) {
        HttpServerResponse response = request.response();
        String rangeHeader = request.getHeader(Headers.RANGE);
        // Ranges are served from the identity only (the representation Accept-Ranges advertises): a range of a
        // compressed variant is of no use to a client that resumes a download or seeks in a media file.
        ServedFile chosen = rangeHeader == null ? negotiate(file, request.getHeader(Headers.ACCEPT_ENCODING)) : file;
        // A 304 carries the headers a 200 would (RFC 9110 §15.4.5) but those that describe a body.
        boolean notModified = notModified(request, chosen);
        response.setStatusCode(notModified ? 304 : status);
        if (!notModified) {
            response.putHeader(Headers.CONTENT_TYPE, chosen.contentType());
        }
        response.putHeader(Headers.CACHE_CONTROL, chosen.cacheControl())
                .putHeader(Headers.ETAG, chosen.etag())
                .putHeader(Headers.LAST_MODIFIED, chosen.lastModified())
                .putHeader(Headers.NOSNIFF_NAME, Headers.NOSNIFF)
                .putHeader(Headers.DATE, HttpDate.now());
        if (file.hasVariants()) {
            response.putHeader(Headers.VARY, Headers.VARY_ENCODING);
        }
        if (chosen.contentEncoding().isPresent()) {
            response.putHeader(Headers.CONTENT_ENCODING, chosen.contentEncoding().get());
        } else if (!notModified) {
            response.putHeader(Headers.ACCEPT_RANGES, Headers.BYTES);
        }
        if (file.html()) {
            // The document decides which version the tab runs: point the shared cookie at it (DESIGN.md step 2).
            response.putHeader(Headers.SET_COOKIE, deployment.pinCookie());
        }
        for (Map.Entry<String, String> h : chosen.headers()) {
            response.putHeader(h.getKey(), h.getValue());
        }

        if (notModified) {
            response.end();
            return;
        }

        if (rangeHeader != null && request.method() == HttpMethod.GET && status == 200) {
            String ifRange = request.getHeader(Headers.IF_RANGE);
            if (ifRange == null || Conditional.rangeStillValid(ifRange, chosen.etag(), chosen.lastModified())) {
                ByteRanges.Outcome outcome = ByteRanges.parse(rangeHeader, chosen.length());
                if (outcome instanceof ByteRanges.Unsatisfiable) {
                    response.setStatusCode(416)
                            .putHeader(Headers.CONTENT_RANGE, "bytes */" + chosen.length())
                            .putHeader(Headers.CACHE_CONTROL, Headers.NO_STORE);
                    response.end();
                    return;
                }
                if (outcome instanceof ByteRanges.Satisfiable ranges) {
                    if (ranges.ranges().size() == 1) {
                        ByteRanges.Range r = ranges.ranges().get(0);
                        response.setStatusCode(206).putHeader(Headers.CONTENT_RANGE,
                                "bytes " + r.first() + "-" + r.last() + "/" + chosen.length());
                        body(request, response, chosen, r.first(), r.length());
                        return;
                    }
                    if (chosen.bytes().isPresent()) {
                        multipart(response, chosen, ranges.ranges());
                        return;
                    }
                    // Several ranges of a file on disk: send it whole, as RFC 9110 §14.2 allows.
                }
            }
        }
        body(request, response, chosen, 0, chosen.length());
    }

    /** Whether the client's copy is current: If-None-Match, or If-Modified-Since when there is none (§13.1.3). */
    private static boolean notModified(HttpServerRequest request, ServedFile chosen) {
        String ifNoneMatch = request.getHeader(Headers.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            return Conditional.noneMatchFails(ifNoneMatch, chosen.etag());
        }
        String ifModifiedSince = request.getHeader(Headers.IF_MODIFIED_SINCE);
        return ifModifiedSince != null && Conditional.notModifiedSince(ifModifiedSince, chosen.lastModified());
    }

    private static void body(HttpServerRequest request, HttpServerResponse response, ServedFile file,
                             long offset, long length) {
        if (request.method() == HttpMethod.HEAD) {
            response.putHeader(Headers.CONTENT_LENGTH, Long.toString(length));
            response.end();
            return;
        }
        Optional<Buffer> bytes = file.bytes();
        if (bytes.isPresent()) {
            Buffer all = bytes.get();
            response.end(offset == 0 && length == all.length() ? all : all.slice((int) offset, (int) (offset + length)));
        } else {
            response.sendFile(file.blob().toString(), offset, length)
                    .onFailure(err -> {
                        if (!response.headWritten()) {
                            DataPlaneErrors.send(request, 500, "blob unreadable: " + err.getMessage());
                        } else {
                            request.connection().close();
                        }
                    });
        }
    }

    private static void multipart(HttpServerResponse response, ServedFile file, List<ByteRanges.Range> ranges) {
        String boundary = "skewgate-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        Buffer all = file.bytes().orElseThrow();
        Buffer out = Buffer.buffer();
        for (ByteRanges.Range r : ranges) {
            out.appendString("\r\n--" + boundary + "\r\nContent-Type: " + file.contentType() + "\r\nContent-Range: bytes "
                    + r.first() + "-" + r.last() + "/" + file.length() + "\r\n\r\n", StandardCharsets.US_ASCII.name());
            out.appendBuffer(all, (int) r.first(), (int) r.length());
        }
        out.appendString("\r\n--" + boundary + "--\r\n");
        response.setStatusCode(206).putHeader(Headers.CONTENT_TYPE, "multipart/byteranges; boundary=" + boundary);
        response.end(out);
    }

    /** The representation {@code Accept-Encoding} asks for, among those the file has now ({@link AcceptEncoding}). */
    static ServedFile negotiate(ServedFile file, String acceptEncoding) {
        if (!file.hasVariants() || acceptEncoding == null) {
            return file;
        }
        Optional<ServedFile> br = file.brotliNow();
        Optional<ServedFile> gz = file.gzipNow();
        return switch (AcceptEncoding.choose(acceptEncoding, br.isPresent(), gz.isPresent())) {
            case BROTLI -> br.get();
            case GZIP -> gz.get();
            case IDENTITY -> file;
        };
    }
}
