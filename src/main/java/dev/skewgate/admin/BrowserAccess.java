package dev.skewgate.admin;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * What the admin listener offers a browser besides bearer-token calls (the dashboard implements it): a guard on the
 * Host header, routes that need no token (the page, sign-in), sessions, and routes behind authentication.
 */
public interface BrowserAccess {

    /** How a request without the bearer token fared against the sessions. */
    enum Verdict {
        /** No session: answer 401 as before. */
        NONE,
        /** A valid session (and, for a change, its CSRF header): go on. */
        ALLOWED,
        /** A session, but the request was refused and already answered (a change without the CSRF header). */
        ANSWERED
    }

    /** No dashboard: every Host is accepted, nothing is mounted, only the bearer token authenticates. */
    BrowserAccess NONE = new BrowserAccess() {
        @Override
        public void mountOpen(Router router) {
        }

        @Override
        public Verdict session(RoutingContext ctx) {
            return Verdict.NONE;
        }

        @Override
        public void mountAuthenticated(Router router) {
        }
    };

    /** Routes that run before authentication, the Host guard first. */
    void mountOpen(Router router);

    /** Authenticates a request that carries no valid bearer token. */
    Verdict session(RoutingContext ctx);

    /** Routes behind authentication (bearer token or session), before the JSON body is collected. */
    void mountAuthenticated(Router router);
}
