package dev.skewgate.edge;

import dev.skewgate.accesslog.AccessLog;
import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.http.Headers;
import dev.skewgate.metrics.GatewayMetrics;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.proxy.ProxyHandler;
import dev.skewgate.routing.DeploymentRoute;
import dev.skewgate.routing.Pin;
import dev.skewgate.routing.Routes;
import dev.skewgate.routing.SiteRoute;
import dev.skewgate.staticfiles.StaticHandler;
import dev.skewgate.traffic.TrafficMeter;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import java.util.Locale;
import java.util.Optional;

/**
 * The data plane's front: Host -> site, then pin -> deployment, then the gateway endpoint or file. It reads one
 * routing snapshot per request and nothing else: no database, no locks.
 */
public final class EdgeHandler implements Handler<HttpServerRequest> {

    static final String GATEWAY_PREFIX = "/_skewgate/";
    /** Longest wait of a request for a deployment not compiled yet (a start compiles 1,000 in about a second). */
    static final long COMPILE_WAIT_MS = 30_000;

    private final Routes routing;
    private final GatewayEndpoints endpoints;
    private final HealthEndpoints health;
    private final ProxyHandler proxy;
    private final TrafficMeter traffic;
    private final String checkSecret;
    /** On the plain HTTP listener of an HTTPS gateway: the port every request is redirected to. */
    private final java.util.OptionalInt redirectToHttps;
    private final AcmeChallenges challenges;
    private final GatewayMetrics metrics;
    private final AccessLog log;

    /**
     * @param checkSecret lets the gateway's own synthetic checks reach a backend health path outside the API prefixes
     * @param redirectToHttps the HTTPS port to redirect to (308), on the plain listener of an HTTPS gateway
     * @param challenges the ACME HTTP-01 answers, served before the redirect
     */
    EdgeHandler(Routes routing, GatewayEndpoints endpoints, HealthEndpoints health, ProxyHandler proxy,
                TrafficMeter traffic, String checkSecret, java.util.OptionalInt redirectToHttps,
                AcmeChallenges challenges, GatewayMetrics metrics, AccessLog log) {
        this.redirectToHttps = redirectToHttps;
        this.challenges = challenges;
        this.metrics = metrics;
        this.log = log;
        this.routing = routing;
        this.endpoints = endpoints;
        this.health = health;
        this.proxy = proxy;
        this.traffic = traffic;
        this.checkSecret = checkSecret;
    }

    @Override
    public void handle(HttpServerRequest request) {
        Observed observed = Observed.start(request, metrics, log);
        // Before the host lookup: a load balancer probes with whatever Host it likes, and a site's paths never win.
        if (HealthEndpoints.handles(request.path())) {
            health.handle(request, request.path());
            return;
        }
        route(request, observed, false);
    }

    /** @param waited the request waited for deployments not compiled yet, paused (so its body is still there) */
    private void route(HttpServerRequest request, Observed observed, boolean waited) {
        HostAndPort authority = request.authority();
        if (authority == null) {
            DataPlaneErrors.send(request, 400, "the request has no Host header");
            return;
        }
        String host = normalizeHost(authority.host());
        if (request.path().startsWith(AcmeChallenges.PREFIX)) {
            challenge(request, request.path().substring(AcmeChallenges.PREFIX.length()));
            return;
        }
        if (redirectToHttps.isPresent()) { // the synthetic checks of an HTTPS gateway use its TLS listener
            redirect(request, host, redirectToHttps.getAsInt());
            return;
        }
        if (request.isSSL() && !Tls.mayServe(request.connection(), host)) {
            DataPlaneErrors.send(request, 421, "this connection's certificate is not for " + host
                    + "; open a new connection to it");
            return;
        }
        Optional<SiteRoute> found = routing.current().lookup(host);
        if (found.isEmpty()) {
            metrics.unknownHost();
            unknownHost(request, host);
            return;
        }
        SiteRoute site = found.get();
        observed.site = site.name();
        // Set before any handler runs, so files, gateway documents, proxied responses and error pages all carry it;
        // never over plain HTTP, where a network attacker could forge or strip it anyway (RFC 6797 §7.2).
        if (request.isSSL() && site.hsts().isPresent()) {
            request.response().headers().set(Headers.STRICT_TRANSPORT_SECURITY, site.hsts().get());
        }
        boolean navigation = Pin.isNavigation(request.getHeader(Headers.SEC_FETCH_MODE), request.getHeader(Headers.ACCEPT));
        String path = request.path();
        if (path.startsWith(GATEWAY_PREFIX)) {
            endpoints.handle(request, site, path, observed);
            return;
        }
        if (site.configAlias().isPresent() && path.equals(site.configAlias().get())) {
            GatewayEndpoints.config(request, site);
            return;
        }
        if (isApi(site, path) || isCheck(request)) {
            api(request, site, observed);
            return;
        }
        Pin pin = Pin.resolve(request.getHeader(Headers.DEPLOYMENT), request.query(), request.getHeader(Headers.COOKIE), navigation);
        observed.pin = pin.source();
        if (pin.value().isPresent() && site.pending(pin.value().get())) {
            awaitCompiled(request, site, observed, pin.value().get());
            return;
        }
        pin.value().filter(site.retired()::contains)
                .ifPresent(id -> traffic.retired(site.name(), id, client(request)));
        Optional<DeploymentRoute> deployment = chooseForStatic(site, pin);
        if (deployment.isEmpty()) {
            DataPlaneErrors.send(request, 503, "text/plain; charset=utf-8",
                    "Site '" + site.name() + "' has no active deployment yet. Deploy one with: skewgate deploy ./dist --site "
                            + site.name() + " --activate\n", "site " + site.name() + " has no active deployment");
            return;
        }
        if (StaticHandler.awaitsLender(request, site, deployment.get(), navigation)) {
            awaitCompiled(request, site, observed, "retained deployments");
            return;
        }
        observed.deployment = deployment.get().id();
        observed.counter = traffic.served(site.name(), deployment.get().id());
        if (waited) {
            request.resume(); // a body is drained and ignored, as for any static request
        }
        StaticHandler.handle(request, site, deployment.get(), navigation);
    }

    /**
     * The request needs a deployment of the site that the start has not compiled yet (it compiles the active ones
     * first, the rest in the background): it waits, paused, until they are in the snapshot and is then routed again
     * from the start, on the newer snapshot. An answer without them would be wrong (a 410 for a servable pin, the
     * active version's file, a 404 for a chunk an older deployment lends), so the wait ends only in that or in a 503
     * after {@link #COMPILE_WAIT_MS}, which a browser or the SDK retries.
     *
     * @param what the deployment waited for, for the 503's words
     */
    private void awaitCompiled(HttpServerRequest request, SiteRoute site, Observed observed, String what) {
        request.pause();
        Context context = Vertx.currentContext();
        boolean[] settled = {false}; // both callbacks below run on this context
        long timer = context.owner().setTimer(COMPILE_WAIT_MS, id -> {
            if (!settled[0]) {
                settled[0] = true;
                notCompiled(request, site, what, "still being compiled after " + COMPILE_WAIT_MS + " ms");
            }
        });
        routing.compiled(site.name()).whenComplete((v, error) -> context.runOnContext(n -> {
            if (settled[0]) {
                return;
            }
            settled[0] = true;
            context.owner().cancelTimer(timer);
            if (request.response().ended() || request.response().closed()) {
                return; // the client left while it waited
            }
            if (error != null) {
                notCompiled(request, site, what, "could not be compiled: " + error.getMessage());
            } else {
                route(request, observed, true);
            }
        }));
    }

    private static void notCompiled(HttpServerRequest request, SiteRoute site, String what, String why) {
        request.response().putHeader("retry-after", "1");
        DataPlaneErrors.json(request, 503, "DEPLOYMENT_LOADING", "site '" + site.name() + "': " + what
                + " (the gateway just started) " + why + "; retry");
    }

    /**
     * An API request goes to the backend of the deployment it is pinned to (the active one when unpinned). Unlike a
     * static file, a pin that names nothing servable is refused: answering from another version's backend is exactly
     * the silent skew this gateway exists to prevent.
     */
    private void api(HttpServerRequest request, SiteRoute site, Observed observed) {
        Pin pin = Pin.resolve(request.getHeader(Headers.DEPLOYMENT), request.query(), request.getHeader(Headers.COOKIE), false);
        observed.pin = pin.source();
        DeploymentRoute deployment;
        if (pin.value().isPresent()) {
            String id = pin.value().get();
            if (!DeploymentIds.isWellFormed(id)) {
                DataPlaneErrors.json(request, 400, "INVALID_PIN", "the " + pin.source().name().toLowerCase(Locale.ROOT)
                        + " pin is not a deployment id (dpl_ and 26 characters)");
                return;
            }
            Optional<DeploymentRoute> pinned = site.pinned(id);
            if (pinned.isEmpty() && site.pending(id)) {
                awaitCompiled(request, site, observed, id);
                return;
            }
            if (pinned.isEmpty()) {
                if (site.retired().contains(id)) {
                    traffic.retired(site.name(), id, client(request));
                }
                gone(request, site, id);
                return;
            }
            deployment = pinned.get();
        } else if (site.active().isPresent()) {
            deployment = site.active().get();
        } else {
            DataPlaneErrors.json(request, 503, "NO_ACTIVE_DEPLOYMENT", "site '" + site.name() + "' has no active deployment");
            return;
        }
        if (deployment.backend().isEmpty()) {
            DataPlaneErrors.json(request, 502, "NO_BACKEND", "deployment " + deployment.id() + " of site '" + site.name()
                    + "' has no backend; deploy with --backend or set the site's default backend");
            return;
        }
        observed.deployment = deployment.id();
        observed.counter = traffic.served(site.name(), deployment.id());
        proxy.handle(request, deployment, deployment.backend().get(), site.compressProxied(), observed);
    }

    /** 410 for a pin to a retired or unknown deployment: the SDK turns it into the refresh prompt. */
    private static void gone(HttpServerRequest request, SiteRoute site, String id) {
        JsonObject body = new JsonObject()
                .put("error", "DEPLOYMENT_RETIRED")
                .put("deployment", id)
                .put("current", site.active().map(DeploymentRoute::id).orElse(null))
                .put("message", "This version is no longer served. Refresh the page.");
        request.resume();
        DataPlaneErrors.send(request, 410, "application/json", body.encode() + "\n",
                "pin to retired or unknown deployment " + id);
    }

    private static boolean isApi(SiteRoute site, String path) {
        for (String prefix : site.apiPrefixes()) {
            if (path.startsWith(prefix) || path.length() == prefix.length() - 1 && prefix.startsWith(path)) {
                return true;
            }
        }
        return false;
    }

    /** An ACME HTTP-01 challenge: the key authorization for a token the gateway is waiting on, else 404. */
    private void challenge(HttpServerRequest request, String token) {
        Optional<String> answer = challenges.answer(token);
        if (answer.isEmpty()) {
            DataPlaneErrors.send(request, 404, "no such ACME challenge");
            return;
        }
        request.response().putHeader("content-type", "application/octet-stream")
                .putHeader("cache-control", "no-store").end(answer.get());
    }

    /**
     * The plain listener of an HTTPS gateway: 308 (method and body kept, RFC 9110 §15.4.9) to the same host and
     * target over HTTPS. The host came through the head rules, so it is a plain host name or address.
     */
    private static void redirect(HttpServerRequest request, String host, int httpsPort) {
        String authority = host.contains(":") ? "[" + host + "]" : host; // an IPv6 literal
        String location = "https://" + authority + (httpsPort == 443 ? "" : ":" + httpsPort) + request.uri();
        request.response().setStatusCode(308).putHeader("location", location).putHeader("cache-control", "no-store")
                .putHeader("content-type", "text/plain; charset=utf-8").end("This site is served over HTTPS: " + location
                        + "\n");
    }

    private boolean isCheck(HttpServerRequest request) {
        String given = request.getHeader(ProxyHandler.CHECK_HEADER);
        return given != null && java.security.MessageDigest.isEqual(
                given.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                checkSecret.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String client(HttpServerRequest request) {
        return request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
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
