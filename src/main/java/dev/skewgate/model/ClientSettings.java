package dev.skewgate.model;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * How a site's open tabs are kept up to date: whether the browser SDK is injected into entry points, what it does
 * when a new version goes live, how often it polls when the event stream is unavailable, which other origins
 * (an API on another host) get the deployment header, and an optional extra path for the runtime config.
 */
public record ClientSettings(
        boolean injectSdk,
        String strategy,
        Duration pollInterval,
        List<String> apiOrigins,
        Optional<String> configAlias) {

    /** What the SDK does on a new deployment. */
    public static final Set<String> STRATEGIES = Set.of("banner", "reload-on-navigation", "reload-when-hidden", "callback");

    public static final ClientSettings DEFAULT =
            new ClientSettings(true, "banner", Duration.ofMinutes(5), List.of(), Optional.empty());

    public ClientSettings {
        apiOrigins = List.copyOf(apiOrigins);
    }
}
