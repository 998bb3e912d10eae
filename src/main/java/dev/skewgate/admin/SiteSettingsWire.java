package dev.skewgate.admin;

import static dev.skewgate.admin.Fields.optionalObject;
import static dev.skewgate.admin.Fields.strings;
import static dev.skewgate.admin.Fields.typed;

import dev.skewgate.control.SiteSettings;
import dev.skewgate.model.Backend;
import dev.skewgate.model.CheckSettings;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.Durations;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.Hsts;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ResponseSettings;
import dev.skewgate.model.Retention;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A site's settings on the wire, both ways. POST and PATCH bodies are JSON merge patches (RFC 7396) of this shape:
 * the admin API applies one to the current settings (a new site's defaults for POST) and reads the result back, so a
 * field left out keeps its value, {@code null} removes it (an optional one) or resets it to the default.
 */
final class SiteSettingsWire {

    private SiteSettingsWire() {
    }

    static JsonObject write(SiteSettings s) {
        JsonArray rules = new JsonArray();
        for (HeaderRule r : s.headerRules()) {
            rules.add(new JsonObject().put("glob", r.glob()).put("headers", new JsonObject(new TreeMap<>(r.headers()))));
        }
        return new JsonObject()
                .put("hosts", new JsonArray(s.hosts()))
                .put("apiPrefixes", new JsonArray(s.apiPrefixes()))
                .put("spa", s.spa())
                .put("entryPoint", s.entryPoint())
                .put("retention", new JsonObject()
                        .put("skewWindow", Durations.format(s.retention().skewWindow()))
                        .put("keepPrevious", s.retention().keepPrevious())
                        .put("purgeAfter", Durations.format(s.retention().purgeAfter())))
                .put("headerRules", rules)
                .put("client", new JsonObject()
                        .put("injectSdk", s.client().injectSdk())
                        .put("strategy", s.client().strategy())
                        .put("pollInterval", Durations.format(s.client().pollInterval()))
                        .put("apiOrigins", new JsonArray(s.client().apiOrigins()))
                        .put("configAlias", s.client().configAlias().orElse(null)))
                .put("defaultBackend", s.defaultBackend().map(Wire::backend).orElse(null))
                .put("checks", new JsonObject()
                        .put("readinessProbes", s.checks().readinessProbes())
                        .put("readinessTimeout", Durations.format(s.checks().readinessTimeout()))
                        .put("synthetic", s.checks().synthetic())
                        .put("interval", Durations.format(s.checks().interval()))
                        .put("autoRollback", s.checks().autoRollback())
                        .put("retireWhenIdle", s.checks().retireWhenIdle().map(Durations::format).orElse(null))
                        .put("wildcardSamples", new JsonObject(new TreeMap<>(s.checks().wildcardSamples()))))
                .put("backendDefaults", BackendWire.write(s.backendDefaults()))
                .put("hsts", s.responses().hsts().map(h -> new JsonObject().put("maxAge", h.maxAge())
                        .put("includeSubDomains", h.includeSubDomains()).put("preload", h.preload())).orElse(null))
                .put("compressProxied", s.responses().compressProxied());
    }

    /** Settings with the patch applied to {@code current}'s wire form; types are checked here, rules by the control plane. */
    static SiteSettings patched(SiteSettings current, JsonObject patch) {
        return read(MergePatch.apply(write(current), patch));
    }

    /** Reads a complete wire form; a member that is absent takes a new site's default. */
    static SiteSettings read(JsonObject body) {
        SiteSettings d = SiteSettings.DEFAULT;
        JsonObject retention = optionalObject(body, "retention");
        JsonObject client = optionalObject(body, "client");
        JsonObject checks = optionalObject(body, "checks");
        Retention r = d.retention();
        ClientSettings c = d.client();
        CheckSettings k = d.checks();
        Map<String, String> samples = new HashMap<>();
        optionalObject(checks, "wildcardSamples").forEach(e -> samples.put(e.getKey(), String.valueOf(e.getValue())));
        return new SiteSettings(
                strings(body, "hosts").orElse(d.hosts()),
                strings(body, "apiPrefixes").orElse(d.apiPrefixes()),
                or(typed(body, "spa", Boolean.class), d.spa()),
                or(typed(body, "entryPoint", String.class), d.entryPoint()),
                new Retention(duration(retention, "skewWindow").orElse(r.skewWindow()),
                        or(typed(retention, "keepPrevious", Integer.class), r.keepPrevious()),
                        duration(retention, "purgeAfter").orElse(r.purgeAfter())),
                headerRules(body),
                new ClientSettings(or(typed(client, "injectSdk", Boolean.class), c.injectSdk()),
                        or(typed(client, "strategy", String.class), c.strategy()),
                        duration(client, "pollInterval").orElse(c.pollInterval()),
                        strings(client, "apiOrigins").orElse(c.apiOrigins()),
                        Optional.ofNullable(typed(client, "configAlias", String.class))),
                backend(body, "defaultBackend"),
                new CheckSettings(or(typed(checks, "readinessProbes", Integer.class), k.readinessProbes()),
                        duration(checks, "readinessTimeout").orElse(k.readinessTimeout()),
                        or(typed(checks, "synthetic", Boolean.class), k.synthetic()),
                        duration(checks, "interval").orElse(k.interval()),
                        or(typed(checks, "autoRollback", Boolean.class), k.autoRollback()),
                        duration(checks, "retireWhenIdle"),
                        samples),
                BackendWire.defaults(optionalObject(body, "backendDefaults")),
                new ResponseSettings(hsts(body),
                        or(typed(body, "compressProxied", Boolean.class), d.responses().compressProxied())));
    }

    /** {@code {"maxAge": seconds, "includeSubDomains": false, "preload": false}}, or empty (off) when absent or null. */
    private static Optional<Hsts> hsts(JsonObject body) {
        JsonObject h = typed(body, "hsts", JsonObject.class);
        if (h == null) {
            return Optional.empty();
        }
        Object maxAge = h.getValue("maxAge");
        if (!(maxAge instanceof Integer || maxAge instanceof Long)) {
            throw new InvalidRequestException("INVALID_HSTS", maxAge == null
                    ? "'hsts.maxAge' is required: how long, in seconds, browsers use HTTPS only (e.g. 31536000)"
                    : "'hsts.maxAge' must be a whole number of seconds, not " + maxAge);
        }
        return Optional.of(new Hsts(((Number) maxAge).longValue(),
                or(typed(h, "includeSubDomains", Boolean.class), false), or(typed(h, "preload", Boolean.class), false)));
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }

    private static Optional<Duration> duration(JsonObject body, String field) {
        return Optional.ofNullable(typed(body, field, String.class)).map(Durations::parse);
    }

    private static List<HeaderRule> headerRules(JsonObject body) {
        if (body.getValue("headerRules") == null) {
            return List.of();
        }
        List<HeaderRule> list = new ArrayList<>();
        for (Object o : Fields.array(body, "headerRules")) {
            if (!(o instanceof JsonObject rule) || !(rule.getValue("headers") instanceof JsonObject headers)) {
                throw new InvalidRequestException("INVALID_HEADER_RULE",
                        "each header rule is {\"glob\": ..., \"headers\": {...}}");
            }
            Map<String, String> h = new HashMap<>();
            headers.forEach(e -> h.put(e.getKey(), String.valueOf(e.getValue())));
            list.add(new HeaderRule(rule.getString("glob"), h));
        }
        return list;
    }

    /** A {@code {"upstreams": [...], "healthPath": "/..."}} field, or empty when it is absent or null. */
    static Optional<Backend> backend(JsonObject body, String field) {
        Object raw = body.getValue(field);
        if (raw == null) {
            return Optional.empty();
        }
        if (!(raw instanceof JsonObject b)) {
            throw new InvalidRequestException("INVALID_BACKEND",
                    "'" + field + "' must be {\"upstreams\": [...], \"healthPath\": ...}");
        }
        List<String> upstreams = strings(b, "upstreams").orElseThrow(() ->
                new InvalidRequestException("INVALID_BACKEND", "'" + field + ".upstreams' is required"));
        return Optional.of(new Backend(upstreams, Optional.ofNullable(typed(b, "healthPath", String.class)).orElse("/")));
    }
}
