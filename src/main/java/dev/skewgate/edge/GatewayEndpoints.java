package dev.skewgate.edge;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.http.Headers;
import dev.skewgate.http.HttpDate;
import dev.skewgate.policy.CachePolicy;
import dev.skewgate.routing.SiteRoute;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** The endpoints every site has under {@code /_skewgate/} (DESIGN.md "Gateway endpoints on every site"). */
final class GatewayEndpoints {

    private GatewayEndpoints() {
    }

    static void handle(HttpServerRequest request, SiteRoute site, String path) {
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().putHeader(Headers.ALLOW, "GET, HEAD");
            DataPlaneErrors.send(request, 405, path + " answers GET and HEAD only");
            return;
        }
        if (path.equals("/_skewgate/version.json")) {
            version(request, site);
            return;
        }
        DataPlaneErrors.send(request, 404, "no gateway endpoint " + path);
    }

    /** {"site","deployment","activatedAt","configRevision"}: no-cache with a strong ETag, so polling costs a 304. */
    private static void version(HttpServerRequest request, SiteRoute site) {
        JsonObject body = new JsonObject()
                .put("site", site.name())
                .put("deployment", site.active().map(d -> d.id()).orElse(null))
                .put("activatedAt", site.activatedAt().map(Object::toString).orElse(null))
                .put("configRevision", site.configRevision());
        String etag = "\"" + Integer.toHexString(body.encode().hashCode()) + "-"
                + site.active().map(d -> d.id().substring(4)).orElse("none") + "-" + site.configRevision() + "\"";
        HttpServerResponse response = request.response()
                .putHeader(Headers.CONTENT_TYPE, "application/json")
                .putHeader(Headers.CACHE_CONTROL, CachePolicy.REVALIDATE_ALWAYS)
                .putHeader(Headers.ETAG, etag)
                .putHeader(Headers.NOSNIFF_NAME, Headers.NOSNIFF)
                .putHeader(Headers.DATE, HttpDate.now());
        site.active().ifPresent(d -> response.putHeader(Headers.DEPLOYMENT, d.id()));
        String ifNoneMatch = request.getHeader("If-None-Match");
        if (ifNoneMatch != null && ifNoneMatch.contains(etag)) {
            response.setStatusCode(304).end();
            return;
        }
        response.end(body.encode());
    }
}
