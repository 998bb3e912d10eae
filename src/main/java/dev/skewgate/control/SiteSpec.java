package dev.skewgate.control;

import dev.skewgate.model.Backend;
import dev.skewgate.model.HeaderRule;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a caller asks a site to be: every field optional, so the same shape serves create and partial update.
 * The doubly optional fields ({@code configAlias}, {@code defaultBackend}, {@code retireWhenIdle}): absent leaves the
 * value, present-but-empty removes it.
 */
public record SiteSpec(
        Optional<List<String>> hosts,
        Optional<List<String>> apiPrefixes,
        Optional<Boolean> spa,
        Optional<String> entryPoint,
        Optional<Duration> skewWindow,
        Optional<Integer> keepPrevious,
        Optional<Duration> purgeAfter,
        Optional<List<HeaderRule>> headerRules,
        Optional<Boolean> injectSdk,
        Optional<String> strategy,
        Optional<Duration> pollInterval,
        Optional<List<String>> apiOrigins,
        Optional<Optional<String>> configAlias,
        Optional<Optional<Backend>> defaultBackend,
        Optional<Integer> readinessProbes,
        Optional<Duration> readinessTimeout,
        Optional<Boolean> synthetic,
        Optional<Duration> checkInterval,
        Optional<Boolean> autoRollback,
        Optional<Optional<Duration>> retireWhenIdle,
        Optional<Map<String, String>> wildcardSamples) {

    /** The same spec with these host names. */
    public SiteSpec withHosts(List<String> names) {
        return new SiteSpec(Optional.of(names), apiPrefixes, spa, entryPoint, skewWindow, keepPrevious, purgeAfter,
                headerRules, injectSdk, strategy, pollInterval, apiOrigins, configAlias, defaultBackend, readinessProbes,
                readinessTimeout, synthetic, checkInterval, autoRollback, retireWhenIdle, wildcardSamples);
    }

    /** Nothing to change. */
    public static SiteSpec empty() {
        return new SiteSpec(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }
}
