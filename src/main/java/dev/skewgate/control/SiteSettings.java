package dev.skewgate.control;

import dev.skewgate.model.Backend;
import dev.skewgate.model.BackendDefaults;
import dev.skewgate.model.CheckSettings;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.ResponseSettings;
import dev.skewgate.model.Retention;
import dev.skewgate.model.Site;
import java.util.List;
import java.util.Optional;

/**
 * Everything an operator sets on a site, complete: the admin API applies a request's merge patch to the current
 * settings' wire form and hands over the result, which {@link SiteRules} validates in one place.
 */
public record SiteSettings(
        List<String> hosts,
        List<String> apiPrefixes,
        boolean spa,
        String entryPoint,
        Retention retention,
        List<HeaderRule> headerRules,
        ClientSettings client,
        Optional<Backend> defaultBackend,
        CheckSettings checks,
        BackendDefaults backendDefaults,
        ResponseSettings responses) {

    /** A new site's settings before its request changes any (it must still add host names). */
    public static final SiteSettings DEFAULT = new SiteSettings(List.of(), List.of("/api/"), true, "index.html",
            Retention.DEFAULT, List.of(), ClientSettings.DEFAULT, Optional.empty(), CheckSettings.DEFAULT,
            BackendDefaults.NONE, ResponseSettings.DEFAULT);

    public SiteSettings {
        hosts = List.copyOf(hosts);
        apiPrefixes = List.copyOf(apiPrefixes);
        headerRules = List.copyOf(headerRules);
    }

    /** The same settings with these host names. */
    public SiteSettings withHosts(List<String> names) {
        return new SiteSettings(names, apiPrefixes, spa, entryPoint, retention, headerRules, client, defaultBackend,
                checks, backendDefaults, responses);
    }

    /** What a site is set to now. */
    public static SiteSettings of(Site s) {
        return new SiteSettings(s.hosts(), s.apiPrefixes(), s.spa(), s.entryPoint(), s.retention(), s.headerRules(),
                s.client(), s.defaultBackend(), s.checks(), s.backendDefaults(), s.responses());
    }

    /** A new site of this name with these settings: no config, no secrets, nothing live, revision 1. */
    public Site newSite(String name, java.time.Instant createdAt) {
        return new Site(name, hosts, apiPrefixes, spa, entryPoint, retention, headerRules, client,
                dev.skewgate.model.RuntimeConfig.EMPTY, List.of(), defaultBackend, checks, backendDefaults, responses, Optional.empty(), 1,
                createdAt);
    }

    /** The site with these settings; its identity, config, secrets and active pointer unchanged. */
    public Site applyTo(Site s) {
        return new Site(s.name(), hosts, apiPrefixes, spa, entryPoint, retention, headerRules, client, s.config(),
                s.webhookSecrets(), defaultBackend, checks, backendDefaults, responses, s.activeDeployment(), s.revision(), s.createdAt());
    }
}
