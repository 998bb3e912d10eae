package dev.skewgate.dashboard;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The dashboard's files (plain HTML, CSS and JavaScript modules in {@code skewgate/dashboard/} of the jar), read
 * once; the page at {@code /}, the rest under {@code /dashboard/}. Never cached without asking: a new jar's page
 * must not meet the old one's scripts.
 */
final class Assets {

    static final List<String> FILES = List.of("index.html", "style.css", "app.js", "api.js", "views.js", "config.js");
    /** The page may load only its own files and talk only to its own origin; no frame may hold it (clickjacking). */
    static final String POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    private record Asset(Buffer bytes, String type) {
    }

    private final Map<String, Asset> byName;

    Assets() {
        byName = FILES.stream().collect(Collectors.toUnmodifiableMap(f -> f, f -> new Asset(read(f), type(f))));
    }

    void page(RoutingContext ctx) {
        send(ctx, "index.html");
    }

    void file(RoutingContext ctx) {
        String name = ctx.request().path().substring("/dashboard/".length());
        if (!byName.containsKey(name)) {
            dev.skewgate.admin.AdminApi.error(ctx, 404, "NOT_FOUND", "no dashboard file " + name);
            return;
        }
        send(ctx, name);
    }

    private void send(RoutingContext ctx, String name) {
        Asset a = byName.get(name);
        ctx.response().putHeader("content-type", a.type())
                .putHeader("cache-control", "no-cache")
                .putHeader("content-security-policy", POLICY)
                .putHeader("x-content-type-options", "nosniff")
                .putHeader("x-frame-options", "DENY")
                .putHeader("referrer-policy", "no-referrer")
                .end(ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD ? Buffer.buffer() : a.bytes());
    }

    private static Buffer read(String name) {
        try (InputStream in = Assets.class.getResourceAsStream("/skewgate/dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks skewgate/dashboard/" + name);
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String type(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        return "text/javascript; charset=utf-8";
    }
}
