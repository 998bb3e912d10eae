package dev.skewgate.push;

import dev.skewgate.http.Headers;
import dev.skewgate.http.HttpDate;
import dev.skewgate.model.Sha256;
import dev.skewgate.policy.CachePolicy;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;

/**
 * {@code /_skewgate/client.js}: the browser SDK, read once from the jar and compacted. Entry points reference it with
 * its content hash ({@code ?v=}), so that URL is cached forever; the bare URL is revalidated.
 */
public final class BrowserSdk {

    public static final String PATH = "/_skewgate/client.js";

    private final Buffer plain;
    private final Buffer gzip;
    private final String version;
    private final String etag;

    private BrowserSdk(byte[] source) {
        this.plain = Buffer.buffer(source);
        this.gzip = Buffer.buffer(gzip(source));
        this.version = Sha256.hex(source).substring(0, 16);
        this.etag = "\"" + version + "\"";
    }

    public static BrowserSdk load() {
        try (InputStream in = BrowserSdk.class.getResourceAsStream("/skewgate/client.js")) {
            if (in == null) {
                throw new IllegalStateException("the jar has no skewgate/client.js");
            }
            return new BrowserSdk(compact(in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The path entry points load the SDK from. */
    public String versionedPath() {
        return PATH + "?v=" + version;
    }

    /** Bytes on the wire when compressed (reported in the README). */
    public int gzipSize() {
        return gzip.length();
    }

    public void serve(HttpServerRequest request) {
        boolean pinned = version.equals(request.getParam("v"));
        HttpServerResponse response = request.response()
                .putHeader(Headers.CONTENT_TYPE, "text/javascript; charset=utf-8")
                .putHeader(Headers.CACHE_CONTROL, pinned ? CachePolicy.IMMUTABLE : CachePolicy.REVALIDATE_ALWAYS)
                .putHeader(Headers.ETAG, etag)
                .putHeader(Headers.VARY, Headers.VARY_ENCODING)
                .putHeader(Headers.NOSNIFF_NAME, Headers.NOSNIFF)
                .putHeader(Headers.DATE, HttpDate.now());
        String inm = request.getHeader("If-None-Match");
        if (inm != null && inm.contains(etag)) {
            response.setStatusCode(304).end();
            return;
        }
        String accept = request.getHeader(Headers.ACCEPT_ENCODING);
        if (accept != null && accept.contains("gzip")) {
            response.putHeader(Headers.CONTENT_ENCODING, "gzip").end(gzip);
        } else {
            response.end(plain);
        }
    }

    /**
     * The source without indentation, blank lines and whole-line {@code //} comments: a fifth of the gzipped bytes,
     * with no minifier. Safe for this file only because it has no multi-line strings or template literals, so a line
     * that starts with {@code //} is always a comment there (the browser tests run the compacted script).
     */
    static byte[] compact(byte[] source) {
        String text = new String(source, StandardCharsets.UTF_8);
        if (text.indexOf('`') >= 0) {
            return source; // a template literal may span lines whose indentation is content: serve as it is
        }
        StringBuilder out = new StringBuilder(source.length);
        for (String line : text.split("\n")) {
            String code = line.strip();
            if (!code.isEmpty() && !code.startsWith("//")) {
                out.append(code).append('\n');
            }
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] source) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out) {
            {
                def.setLevel(9);
            }
        }) {
            gz.write(source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

}
