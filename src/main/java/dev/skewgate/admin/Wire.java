package dev.skewgate.admin;

import dev.skewgate.control.RetentionReport;
import dev.skewgate.control.SiteSettings;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.Durations;
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
        JsonObject out = new JsonObject().put("name", s.name());
        SiteSettingsWire.write(SiteSettings.of(s)).forEach(member -> {
            out.put(member.getKey(), member.getValue());
            if (member.getKey().equals("client")) {
                out.put("configRevision", s.config().revision()); // where it always was in the answer
            }
        });
        return out.put("webhookSecrets", s.webhookSecrets().size())
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
        return BackendWire.write(b);
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
