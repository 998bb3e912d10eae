package dev.skewgate.edge;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.routing.DeploymentRoute;
import dev.skewgate.routing.Pin;
import dev.skewgate.routing.RoutingHolder;
import dev.skewgate.routing.SiteRoute;
import dev.skewgate.staticfiles.StaticHandler;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.util.Locale;
import java.util.Optional;

/**
 * The data plane's front: Host -> site, then pin -> deployment, then the gateway endpoint or file. It reads one
 * routing snapshot per request and nothing else: no database, no locks.
 */
public final class EdgeHandler implements Handler<HttpServerRequest> {

    static final String GATEWAY_PREFIX = "/_skewgate/";

    private final RoutingHolder routing;
    private final GatewayEndpoints endpoints;

    EdgeHandler(RoutingHolder routing, GatewayEndpoints endpoints) {
        this.routing = routing;
        this.endpoints = endpoints;
    }

    @Override
    public void handle(HttpServerRequest request) {
        HostAndPort authority = request.authority();
        if (authority == null) {
            DataPlaneErrors.send(request, 400, "the request has no Host header");
            return;
        }
        String host = normalizeHost(authority.host());
        Optional<SiteRoute> found = routing.current().lookup(host);
        if (found.isEmpty()) {
            unknownHost(request, host);
            return;
        }
        SiteRoute site = found.get();
        boolean navigation = Pin.isNavigation(request.getHeader("Sec-Fetch-Mode"), request.getHeader("Accept"));
        String path = request.path();
        if (path.startsWith(GATEWAY_PREFIX)) {
            endpoints.handle(request, site, path);
            return;
        }
        if (site.configAlias().isPresent() && path.equals(site.configAlias().get())) {
            GatewayEndpoints.config(request, site);
            return;
        }
        Pin pin = Pin.resolve(request.getHeader(Pin.HEADER), request.query(), request.getHeader("Cookie"), navigation);
        Optional<DeploymentRoute> deployment = chooseForStatic(site, pin);
        if (deployment.isEmpty()) {
            DataPlaneErrors.send(request, 503, "text/plain; charset=utf-8",
                    "Site '" + site.name() + "' has no active deployment yet. Deploy one with: skewgate deploy ./dist --site "
                            + site.name() + " --activate\n", "site " + site.name() + " has no active deployment");
            return;
        }
        StaticHandler.handle(request, site, deployment.get(), navigation);
    }

    /**
     * For static files a pin that names nothing servable (malformed, too long, unknown, retired) is ignored and the
     * active deployment answers: a browser asking for an image has no way to act on an error, and a page it loads
     * from the active version is the one it will be told to reload to anyway. API requests (proxy) refuse instead.
     */
    static Optional<DeploymentRoute> chooseForStatic(SiteRoute site, Pin pin) {
        if (pin.value().isPresent() && DeploymentIds.isWellFormed(pin.value().get())) {
            Optional<DeploymentRoute> pinned = site.pinned(pin.value().get());
            if (pinned.isPresent()) {
                return pinned;
            }
        }
        return site.active();
    }

    static String normalizeHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static void unknownHost(HttpServerRequest request, String host) {
        String shown = host.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
        String page = "<!doctype html><html><head><meta charset=\"utf-8\"><title>Unknown host</title></head><body>"
                + "<h1>No site is configured for host &ldquo;" + shown + "&rdquo;</h1>"
                + "<p>This Skewgate gateway does not serve this host name. Add it to a site with "
                + "<code>skewgate site create NAME --host " + shown + "</code>, or check the DNS name you used.</p>"
                + "</body></html>\n";
        DataPlaneErrors.send(request, 404, "text/html; charset=utf-8", page, "unknown host '" + host + "'");
    }
}
