package dev.skewgate.edge;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.http.Headers;
import dev.skewgate.http.HttpDate;
import dev.skewgate.policy.CachePolicy;
import dev.skewgate.push.BrowserSdk;
import dev.skewgate.push.NotifyWebhook;
import dev.skewgate.push.PresenceEndpoint;
import dev.skewgate.push.SseEndpoint;
import dev.skewgate.routing.SiteRoute;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/** The endpoints every site has under {@code /_skewgate/} (DESIGN.md "Gateway endpoints on every site"). */
final class GatewayEndpoints {

    private final SseEndpoint events;
    private final NotifyWebhook webhook;
    private final BrowserSdk sdk;
    private final PresenceEndpoint presence;
    private final StreamHandOver handOver;

    GatewayEndpoints(SseEndpoint events, StreamHandOver handOver, PresenceEndpoint presence, NotifyWebhook webhook,
                     BrowserSdk sdk) {
        this.events = events;
        this.handOver = handOver;
        this.presence = presence;
        this.webhook = webhook;
        this.sdk = sdk;
    }

    void handle(HttpServerRequest request, SiteRoute site, String path, Observed observed) {
        if (path.equals("/_skewgate/notify")) {
            if (request.method() != HttpMethod.POST) {
                request.response().putHeader(Headers.ALLOW, "POST");
                DataPlaneErrors.send(request, 405, "the deploy webhook answers POST only");
                return;
            }
            webhook.handle(request, site);
            return;
        }
        if (path.equals(PresenceEndpoint.PATH)) {
            if (request.method() != HttpMethod.POST) {
                request.response().putHeader(Headers.ALLOW, "POST");
                DataPlaneErrors.send(request, 405, "presence reports are POSTed by the browser SDK");
                return;
            }
            presence.handle(request, site);
            return;
        }
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            request.response().putHeader(Headers.ALLOW, "GET, HEAD");
            DataPlaneErrors.send(request, 405, path + " answers GET and HEAD only");
            return;
        }
        switch (path) {
            case "/_skewgate/version.json" -> document(request, site, site.documents().version(),
                    site.documents().versionEtag());
            case "/_skewgate/config.json" -> config(request, site);
            case "/_skewgate/events" -> events.handle(request, site, () -> handOver.take(request, observed));
            case BrowserSdk.PATH -> sdk.serve(request);
            default -> DataPlaneErrors.send(request, 404, "no gateway endpoint " + path);
        }
    }

    /** The site's runtime config (also answered at the site's config alias). */
    static void config(HttpServerRequest request, SiteRoute site) {
        document(request, site, site.documents().config(), site.documents().configEtag());
    }

    /** A small JSON document: no-cache with a strong ETag, so polling costs a 304. */
    private static void document(HttpServerRequest request, SiteRoute site, Buffer body, String etag) {
        HttpServerResponse response = request.response()
                .putHeader(Headers.CONTENT_TYPE, "application/json")
                .putHeader(Headers.CACHE_CONTROL, CachePolicy.REVALIDATE_ALWAYS)
                .putHeader(Headers.ETAG, etag)
                .putHeader(Headers.NOSNIFF_NAME, Headers.NOSNIFF)
                .putHeader(Headers.DATE, HttpDate.now());
        site.active().ifPresent(d -> response.putHeader(Headers.DEPLOYMENT, d.id()));
        String ifNoneMatch = request.getHeader(dev.skewgate.http.Headers.IF_NONE_MATCH);
        if (ifNoneMatch != null && ifNoneMatch.contains(etag)) {
            response.setStatusCode(304).end();
            return;
        }
        response.end(body);
    }
}
