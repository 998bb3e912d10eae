package dev.skewgate.admin;

import dev.skewgate.control.RetentionReport;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.Durations;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Optional;

/** The admin API's JSON shapes, written out field by field so the wire contract never changes by accident. */
final class Wire {

    private Wire() {
    }

    static JsonObject site(Site s) {
        JsonArray rules = new JsonArray();
        for (HeaderRule r : s.headerRules()) {
            rules.add(new JsonObject().put("glob", r.glob()).put("headers", new JsonObject(new java.util.TreeMap<>(r.headers()))));
        }
        return new JsonObject()
                .put("name", s.name())
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
                .put("configRevision", s.config().revision())
                .put("defaultBackend", s.defaultBackend().map(Wire::backend).orElse(null))
                .put("checks", new JsonObject()
                        .put("readinessProbes", s.checks().readinessProbes())
                        .put("readinessTimeout", Durations.format(s.checks().readinessTimeout()))
                        .put("synthetic", s.checks().synthetic())
                        .put("interval", Durations.format(s.checks().interval()))
                        .put("autoRollback", s.checks().autoRollback())
                        .put("retireWhenIdle", s.checks().retireWhenIdle().map(Durations::format).orElse(null))
                        .put("wildcardSamples", new JsonObject(new java.util.TreeMap<>(s.checks().wildcardSamples()))))
                .put("webhookSecrets", s.webhookSecrets().size())
                .put("activeDeployment", s.activeDeployment().orElse(null))
                .put("revision", s.revision())
                .put("createdAt", s.createdAt().toString());
    }

    static JsonObject deployment(Deployment d) {
        return new JsonObject()
                .put("id", d.id())
                .put("site", d.site())
                .put("state", d.state().wire())
                .put("createdAt", d.createdAt().toString())
                .put("finalizedAt", time(d.finalizedAt()))
                .put("activatedAt", time(d.activatedAt()))
                .put("demotedAt", time(d.demotedAt()))
                .put("retiredAt", time(d.retiredAt()))
                .put("message", d.message())
                .put("gitSha", d.gitSha().orElse(null))
                .put("author", d.author())
                .put("files", d.fileCount())
                .put("bytes", d.totalBytes())
                .put("promotedFrom", d.promotedFrom().orElse(null))
                .put("backend", d.backend().map(Wire::backend).orElse(null));
    }

    static JsonObject backend(dev.skewgate.model.Backend b) {
        return new JsonObject().put("upstreams", new JsonArray(b.upstreams())).put("healthPath", b.healthPath());
    }

    static JsonObject file(ManifestEntry f) {
        return new JsonObject().put("path", f.path()).put("sha256", f.sha256()).put("size", f.size())
                .put("contentType", f.contentType());
    }

    static JsonObject event(SiteEvent e) {
        return new JsonObject()
                .put("site", e.site())
                .put("seq", e.seq())
                .put("type", e.type())
                .put("deployment", e.deployment().orElse(null))
                .put("previous", e.previous().orElse(null))
                .put("actor", e.actor())
                .put("at", e.at().toString())
                .put("notified", e.notified())
                .put("detail", e.detail());
    }

    static JsonObject retention(RetentionReport r) {
        return new JsonObject()
                .put("retired", new JsonArray(r.retired()))
                .put("purged", new JsonArray(r.purged()))
                .put("abandoned", new JsonArray(r.abandoned()))
                .put("blobsDeleted", r.blobsDeleted());
    }

    private static String time(Optional<Instant> t) {
        return t.map(Instant::toString).orElse(null);
    }
}
