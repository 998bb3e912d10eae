package dev.skewgate.control;

import dev.skewgate.model.CheckSettings;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.Hsts;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ManifestRules;
import dev.skewgate.model.Names;
import dev.skewgate.model.Retention;
import dev.skewgate.policy.Globs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The rules a site's settings must follow, in one place: host names and API prefixes normalized, retention and check
 * bounds, header rules the gateway can honour, update strategies, API origins, the config alias, the HSTS policy. Pure: no store, no
 * network (the backend's own rules, which need the gateway's addresses, are {@link BackendRules}).
 */
public final class SiteRules {

    /** hstspreload.org accepts a site only with a max-age of a year or more. */
    static final long PRELOAD_MIN_MAX_AGE = 31_536_000;

    private SiteRules() {
    }

    /** The settings normalized (lowercase hosts, deduplicated lists), or the first rule they break. */
    public static SiteSettings check(SiteSettings s) {
        List<String> hosts = dedupe(s.hosts().stream().map(Names::hostName).toList());
        if (hosts.isEmpty()) {
            throw new InvalidRequestException("NO_HOSTS", "a site needs at least one host name (--host)");
        }
        List<String> prefixes = dedupe(s.apiPrefixes().stream().map(Names::apiPrefix).toList());
        ManifestRules.checkPath(s.entryPoint());
        Retention retention = s.retention();
        if (retention.keepPrevious() < 1 || retention.keepPrevious() > 1000) {
            throw new InvalidRequestException("INVALID_RETENTION",
                    "keepPrevious must be 1..1000: the newest previous deployment is the rollback target and is always kept");
        }
        if (retention.skewWindow().isNegative() || retention.purgeAfter().isNegative()) {
            throw new InvalidRequestException("INVALID_RETENTION", "durations must not be negative");
        }
        for (HeaderRule rule : s.headerRules()) {
            checkRule(rule);
        }
        ClientSettings c = s.client();
        ClientSettings client = new ClientSettings(c.injectSdk(), c.strategy(), c.pollInterval(), origins(c.apiOrigins()),
                c.configAlias().map(SiteRules::alias));
        if (!ClientSettings.STRATEGIES.contains(client.strategy())) {
            throw new InvalidRequestException("INVALID_STRATEGY", "update strategy '" + client.strategy()
                    + "' is not one of " + new java.util.TreeSet<>(ClientSettings.STRATEGIES));
        }
        if (client.pollInterval().compareTo(Duration.ofSeconds(5)) < 0) {
            throw new InvalidRequestException("INVALID_POLL_INTERVAL", "the poll interval must be at least 5s");
        }
        CheckSettings k = s.checks();
        CheckSettings checks = new CheckSettings(k.readinessProbes(), k.readinessTimeout(), k.synthetic(), k.interval(),
                k.autoRollback(), k.retireWhenIdle(), samples(k.wildcardSamples()));
        if (checks.readinessProbes() < 0 || checks.readinessProbes() > 20) {
            throw new InvalidRequestException("INVALID_CHECKS", "readiness probes must be 0..20");
        }
        if (checks.readinessTimeout().compareTo(Duration.ofSeconds(1)) < 0
                || checks.readinessTimeout().compareTo(Duration.ofMinutes(10)) > 0) {
            throw new InvalidRequestException("INVALID_CHECKS", "the readiness timeout must be 1s..10m");
        }
        if (!checks.interval().isZero() && checks.interval().compareTo(Duration.ofSeconds(5)) < 0) {
            throw new InvalidRequestException("INVALID_CHECKS", "the check interval must be 0 (off) or at least 5s");
        }
        s.responses().hsts().ifPresent(SiteRules::checkHsts);
        return new SiteSettings(hosts, prefixes, s.spa(), s.entryPoint(), retention, s.headerRules(), client,
                s.defaultBackend(), checks, ManagedRules.checkDefaults(s.backendDefaults()), s.responses());
    }

    /** RFC 6797 §6.1.1 for max-age; the preload list's own requirements (hstspreload.org) for preload. */
    private static void checkHsts(Hsts h) {
        if (h.maxAge() < 0) {
            throw new InvalidRequestException("INVALID_HSTS", "HSTS max-age must be 0 or more seconds, not " + h.maxAge());
        }
        if (h.preload() && !h.includeSubDomains()) {
            throw new InvalidRequestException("INVALID_HSTS",
                    "HSTS preload requires includeSubDomains (the preload list covers every subdomain)");
        }
        if (h.preload() && h.maxAge() < PRELOAD_MIN_MAX_AGE) {
            throw new InvalidRequestException("INVALID_HSTS", "HSTS preload requires a max-age of at least "
                    + PRELOAD_MIN_MAX_AGE + " seconds (one year), not " + h.maxAge());
        }
    }

    private static Map<String, String> samples(Map<String, String> raw) {
        Map<String, String> out = new java.util.TreeMap<>();
        raw.forEach((wildcard, sample) -> {
            String w = Names.hostName(wildcard);
            String h = Names.hostName(sample);
            if (!w.startsWith("*.") || !Names.covers(w, h)) {
                throw new InvalidRequestException("INVALID_CHECKS", "'" + sample + "' is not a sample of '" + wildcard + "'");
            }
            out.put(w, h);
        });
        return out;
    }

    private static List<String> origins(List<String> raw) {
        List<String> out = new ArrayList<>();
        for (String o : raw) {
            java.net.URI uri;
            try {
                uri = java.net.URI.create(o.trim());
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || uri.getHost() == null || !(("http".equals(uri.getScheme())) || "https".equals(uri.getScheme()))
                    || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))) {
                throw new InvalidRequestException("INVALID_ORIGIN", "'" + o + "' is not an origin like https://api.example.com");
            }
            out.add(uri.getScheme() + "://" + uri.getAuthority().toLowerCase(java.util.Locale.ROOT));
        }
        return dedupe(out);
    }

    private static String alias(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        ManifestRules.checkPath(p);
        if (p.startsWith("_skewgate/")) {
            throw new InvalidRequestException("INVALID_CONFIG_ALIAS", "the config alias cannot be under /_skewgate/");
        }
        return "/" + p;
    }

    private static void checkRule(HeaderRule rule) {
        if (rule.glob() == null || rule.glob().isBlank() || rule.headers().isEmpty()) {
            throw new InvalidRequestException("INVALID_HEADER_RULE", "a header rule needs a glob and at least one header");
        }
        Globs.compile(rule.glob());
        for (Map.Entry<String, String> h : rule.headers().entrySet()) {
            if (!h.getKey().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+") || h.getValue() == null
                    || h.getValue().chars().anyMatch(c -> c < 0x20 && c != '\t' || c == 0x7f)) {
                throw new InvalidRequestException("INVALID_HEADER_RULE", "header '" + h.getKey() + "' is not a valid header");
            }
            String lower = h.getKey().toLowerCase(java.util.Locale.ROOT);
            if (Set.of("content-length", "transfer-encoding", "connection", "etag", "content-encoding",
                    "x-skewgate-deployment", "set-cookie").contains(lower)) {
                throw new InvalidRequestException("INVALID_HEADER_RULE",
                        "header '" + h.getKey() + "' is set by the gateway and cannot be overridden by a rule");
            }
        }
    }

    private static List<String> dedupe(List<String> values) {
        return List.copyOf(new LinkedHashSet<>(values));
    }

}
