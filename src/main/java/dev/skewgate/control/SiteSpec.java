package dev.skewgate.control;

import dev.skewgate.model.HeaderRule;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** What a caller asks a site to be: every field optional, so the same shape serves create and partial update. */
public record SiteSpec(
        Optional<List<String>> hosts,
        Optional<List<String>> apiPrefixes,
        Optional<Boolean> spa,
        Optional<String> entryPoint,
        Optional<Duration> skewWindow,
        Optional<Integer> keepPrevious,
        Optional<Duration> purgeAfter,
        Optional<List<HeaderRule>> headerRules) {

    public static SiteSpec hostsOnly(List<String> hosts) {
        return new SiteSpec(Optional.of(hosts), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());
    }
}
