package dev.skewgate.dashboard;

import dev.skewgate.admin.AdminApi;
import dev.skewgate.admin.AdminToken;
import dev.skewgate.admin.BrowserAccess;
import dev.skewgate.control.ControlPlane;
import io.vertx.core.Vertx;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The operator dashboard on the admin listener: the page at {@code /}, sign-in with the admin token into a session
 * cookie ({@code HttpOnly; SameSite=Strict}), a CSRF header on every change made through a session, the Host guard
 * against DNS rebinding, and the live counts stream. Bearer-token calls are untouched.
 */
public final class Dashboard implements BrowserAccess {

    public static final String COOKIE = "skewgate_session";
    public static final String CSRF_HEADER = "X-Skewgate-CSRF";
    static final long MAX_SIGN_IN_BODY = 4096;

    private final AdminToken token;
    private final HostGuard hosts;
    private final Sessions sessions;
    private final SignInThrottle throttle;
    private final LiveCounts live;
    private final LoginLinks links;
    private final Assets assets = new Assets();

    public Dashboard(Vertx vertx, ControlPlane control, AdminToken token, HostGuard hosts, Clock clock) {
        this.token = token;
        this.hosts = hosts;
        this.sessions = new Sessions(clock);
        this.throttle = new SignInThrottle(clock);
        this.live = new LiveCounts(vertx, control);
        this.links = new LoginLinks(clock);
    }

    @Override
    public void mountOpen(Router router) {
        router.route().handler(this::guardHost);
        router.get("/").handler(assets::page);
        router.get("/dashboard/*").handler(assets::file);
        router.post("/v1/session").handler(BodyHandler.create(false).setBodyLimit(MAX_SIGN_IN_BODY)).handler(this::signIn);
        router.get("/v1/session").handler(this::current);
        router.delete("/v1/session").handler(this::signOut);
    }

    @Override
    public void mountAuthenticated(Router router) {
        router.get("/v1/stream").handler(live::subscribe);
        router.post("/v1/session/links").handler(ctx -> AdminApi.json(ctx, 201, new JsonObject()
                .put("path", "/#login=" + links.create()).put("expiresInSeconds", LoginLinks.VALID.toSeconds())));
    }

    @Override
    public Verdict session(RoutingContext ctx) {
        Optional<Sessions.Session> s = sessions.find(cookie(ctx));
        if (s.isEmpty()) {
            return Verdict.NONE;
        }
        HttpMethod m = ctx.request().method();
        boolean reads = m == HttpMethod.GET || m == HttpMethod.HEAD;
        if (!reads && !s.get().csrfMatches(ctx.request().getHeader(CSRF_HEADER))) {
            refuseWithoutCsrf(ctx);
            return Verdict.ANSWERED;
        }
        return Verdict.ALLOWED;
    }

    private void guardHost(RoutingContext ctx) {
        if (hosts.allows(ctx.request().getHeader("Host"))) {
            ctx.next();
            return;
        }
        AdminApi.error(ctx, 421, "MISDIRECTED_HOST", "this admin listener does not answer to the host name '"
                + ctx.request().getHeader("Host") + "'; start serve with --admin-host-name NAME to allow it");
    }

    private void signIn(RoutingContext ctx) {
        String client = ctx.request().remoteAddress().hostAddress();
        Optional<Duration> wait = throttle.locked(client);
        if (wait.isPresent()) {
            tooMany(ctx, wait.get());
            return;
        }
        String offered;
        String link;
        try {
            JsonObject body = ctx.body().length() == 0 ? new JsonObject() : ctx.body().asJsonObject();
            offered = body.getValue("token") instanceof String t ? t.trim() : "";
            link = body.getValue("link") instanceof String l ? l.trim() : "";
        } catch (DecodeException | ClassCastException e) {
            AdminApi.error(ctx, 400, "INVALID_JSON", "the body must be {\"token\": \"sgt_...\"}");
            return;
        }
        if (offered.isEmpty() && link.isEmpty()) {
            AdminApi.error(ctx, 400, "MISSING_FIELD", "'token' is required: the admin token from the data "
                    + "directory's admin-token file");
            return;
        }
        boolean right = link.isEmpty() ? token.matches("Bearer " + offered) : links.redeem(link);
        if (!right) {
            Optional<Duration> lock = throttle.failed(client);
            if (lock.isPresent()) {
                tooMany(ctx, lock.get());
            } else if (link.isEmpty()) {
                AdminApi.error(ctx, 401, "WRONG_TOKEN", "that is not the admin token (see the data directory's "
                        + "admin-token file)");
            } else {
                AdminApi.error(ctx, 401, "LINK_USED_OR_EXPIRED", "that sign-in link was used already or is older "
                        + "than " + LoginLinks.VALID.toSeconds() + " s: run skewgate dashboard again, or sign in "
                        + "with the token");
            }
            return;
        }
        throttle.succeeded(client);
        Sessions.Session s = sessions.create();
        ctx.response().addCookie(Cookie.cookie(COOKIE, s.id()).setHttpOnly(true).setSameSite(CookieSameSite.STRICT)
                .setPath("/"));
        AdminApi.json(ctx, 200, answer(s));
    }

    private void current(RoutingContext ctx) {
        Optional<Sessions.Session> s = sessions.find(cookie(ctx));
        if (s.isEmpty()) {
            AdminApi.error(ctx, 401, "NO_SESSION", "not signed in, or the session expired: sign in with the admin token");
            return;
        }
        AdminApi.json(ctx, 200, answer(s.get()));
    }

    private void signOut(RoutingContext ctx) {
        Optional<Sessions.Session> s = sessions.find(cookie(ctx));
        if (s.isPresent() && !s.get().csrfMatches(ctx.request().getHeader(CSRF_HEADER))) {
            refuseWithoutCsrf(ctx);
            return;
        }
        s.ifPresent(session -> sessions.end(session.id()));
        ctx.response().addCookie(Cookie.cookie(COOKIE, "").setHttpOnly(true).setSameSite(CookieSameSite.STRICT)
                .setPath("/").setMaxAge(0));
        ctx.response().setStatusCode(204).end();
    }

    private static JsonObject answer(Sessions.Session s) {
        return new JsonObject().put("csrf", s.csrf()).put("idleTimeoutSeconds", Sessions.IDLE.toSeconds());
    }

    private static void refuseWithoutCsrf(RoutingContext ctx) {
        AdminApi.error(ctx, 403, "CSRF_TOKEN_MISSING", "a change made through a dashboard session needs the "
                + CSRF_HEADER + " header with the session's token");
    }

    private static void tooMany(RoutingContext ctx, Duration wait) {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        ctx.response().putHeader("retry-after", Long.toString(seconds));
        AdminApi.error(ctx, 429, "TOO_MANY_ATTEMPTS", "too many wrong tokens from this address: try again in "
                + seconds + " s");
    }

    private static String cookie(RoutingContext ctx) {
        Cookie c = ctx.request().getCookie(COOKIE);
        return c == null ? null : c.getValue();
    }
}
