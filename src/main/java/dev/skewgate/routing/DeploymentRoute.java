package dev.skewgate.routing;

import java.util.Map;
import java.util.Optional;

/**
 * A servable deployment inside the routing snapshot: its files by request path (leading slash), its SPA entry
 * point and custom 404 page, the cookie value that pins a browser to it, and its backend (its own or the site's).
 *
 * @param staged never activated: served only to pins (a preview), and then exactly as built, without files borrowed
 *     from other deployments
 */
public record DeploymentRoute(
        String id,
        Map<String, ServedFile> files,
        Optional<ServedFile> entryPoint,
        Optional<ServedFile> notFoundPage,
        String pinCookie,
        Optional<BackendRoute> backend,
        boolean staged) {
}
