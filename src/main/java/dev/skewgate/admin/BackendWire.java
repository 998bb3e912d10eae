package dev.skewgate.admin;

import static dev.skewgate.admin.Fields.typed;

import dev.skewgate.control.ManagedRequest;
import dev.skewgate.model.Backend;
import dev.skewgate.model.BackendDefaults;
import dev.skewgate.model.BackendFile;
import dev.skewgate.model.ByteSizes;
import dev.skewgate.model.Durations;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ManagedBackend;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** The wire form of managed backends: a deploy's backend folder and settings, a site's defaults, and how both read back. */
final class BackendWire {

    private BackendWire() {
    }

    /** Whether a deploy's {@code backend} member asks for a managed backend (it has a folder or a command). */
    static boolean isManaged(JsonObject body) {
        return body.getValue("backend") instanceof JsonObject b && (b.containsKey("files") || b.containsKey("run"));
    }

    /** A deploy's managed backend: the settings it gives, its folder manifest and its own environment. */
    static ManagedRequest request(JsonObject body) {
        JsonObject b = body.getJsonObject("backend");
        if (b.containsKey("upstreams")) {
            throw new InvalidRequestException("INVALID_BACKEND", "a backend is either a folder the gateway runs "
                    + "('files' and 'run') or 'upstreams' running elsewhere, not both");
        }
        JsonArray raw = Fields.array(b, "files");
        List<BackendFile> files = new ArrayList<>(raw.size());
        for (Object o : raw) {
            if (!(o instanceof JsonObject f) || !(f.getValue("path") instanceof String path)) {
                throw manifest();
            }
            if (f.getValue("link") != null) {
                if (!(f.getValue("link") instanceof String target)) {
                    throw manifest();
                }
                files.add(BackendFile.link(path, target));
                continue;
            }
            if (!(f.getValue("sha256") instanceof String sha) || !(f.getValue("size") instanceof Number size)) {
                throw manifest();
            }
            Object mode = f.getValue("mode");
            if (mode != null && !"file".equals(mode) && !"exec".equals(mode)) {
                throw new InvalidRequestException("INVALID_MANIFEST", "'" + path + "': mode is \"file\" or \"exec\"");
            }
            files.add(BackendFile.file(path, sha, size.longValue(), "exec".equals(mode)));
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonObject envJson = Fields.optionalObject(b, "env");
        for (Map.Entry<String, Object> e : envJson) {
            if (!(e.getValue() instanceof String v)) {
                throw new InvalidRequestException("INVALID_ENV_VALUE", "the value of " + e.getKey() + " must be a string");
            }
            env.put(e.getKey(), v);
        }
        return new ManagedRequest(defaults(b), files, env);
    }

    private static InvalidRequestException manifest() {
        return new InvalidRequestException("INVALID_MANIFEST", "each backend file is {\"path\", \"sha256\", \"size\", "
                + "\"mode\": \"file\"|\"exec\"} or a link {\"path\", \"link\": relative target}");
    }

    /** The settings members of a backend object or of a site's {@code backendDefaults}; absent or null ones are unset. */
    static BackendDefaults defaults(JsonObject b) {
        Integer instances = typed(b, "instances", Integer.class);
        Object memory = b.getValue("maxMemory");
        OptionalLong maxMemory;
        if (memory == null) {
            maxMemory = OptionalLong.empty();
        } else if (memory instanceof Number n && n.longValue() >= 0 && n.doubleValue() == n.longValue()) {
            maxMemory = OptionalLong.of(n.longValue());
        } else if (memory instanceof String s) {
            maxMemory = OptionalLong.of(ByteSizes.parse(s));
        } else {
            throw new InvalidRequestException("INVALID_SIZE", "'maxMemory' is a size like \"512M\" or a number of bytes");
        }
        return new BackendDefaults(
                Optional.ofNullable(typed(b, "run", String.class)),
                instances == null ? OptionalInt.empty() : OptionalInt.of(instances),
                Optional.ofNullable(typed(b, "healthPath", String.class)),
                Optional.ofNullable(typed(b, "release", String.class)),
                maxMemory,
                duration(b, "killTimeout"),
                duration(b, "idleStop"),
                Optional.ofNullable(typed(b, "autoRollback", Boolean.class)));
    }

    private static Optional<Duration> duration(JsonObject b, String field) {
        return Optional.ofNullable(typed(b, field, String.class)).map(text -> {
            try {
                return Durations.parse(text);
            } catch (InvalidRequestException e) {
                // Name the setting in both the API's and the CLI's words: "killTimeout (--kill-timeout): ..."
                throw new InvalidRequestException(e.code(), field + " (--" + field.replaceAll("([A-Z])", "-$1")
                        .toLowerCase(java.util.Locale.ROOT) + "): " + e.getMessage());
            }
        });
    }

    /** A site's defaults as the wire shows them: every member, null where unset. */
    static JsonObject write(BackendDefaults d) {
        return new JsonObject()
                .put("run", d.run().orElse(null))
                .put("instances", d.instances().isPresent() ? d.instances().getAsInt() : null)
                .put("healthPath", d.healthPath().orElse(null))
                .put("release", d.release().orElse(null))
                .put("maxMemory", d.maxMemoryBytes().isPresent() ? ByteSizes.format(d.maxMemoryBytes().getAsLong()) : null)
                .put("killTimeout", d.killTimeout().map(Durations::format).orElse(null))
                .put("idleStop", d.idleStop().map(Durations::format).orElse(null))
                .put("autoRollback", d.autoRollback().orElse(null));
    }

    /** One instance in the status. */
    static JsonObject instance(dev.skewgate.control.BackendProcesses.InstanceStatus i) {
        return new JsonObject().put("index", i.index()).put("pid", i.pid()).put("port", i.port()).put("state", i.state())
                .put("uptimeSeconds", i.uptimeSeconds()).put("restarts", i.restarts()).put("rssBytes", i.rssBytes())
                .put("envRevision", i.envRevision()).put("lastExit", i.lastExit().orElse(null));
    }

    /** A deployment's backend as the wire shows it. */
    static JsonObject write(Backend b) {
        if (b.managed().isEmpty()) {
            return new JsonObject().put("upstreams", new JsonArray(b.upstreams())).put("healthPath", b.healthPath());
        }
        ManagedBackend m = b.managed().get();
        return new JsonObject()
                .put("managed", true)
                .put("run", m.run())
                .put("instances", m.instances())
                .put("healthPath", b.healthPath())
                .put("release", m.release().orElse(null))
                .put("maxMemory", m.maxMemoryBytes().isPresent() ? m.maxMemoryBytes().getAsLong() : null)
                .put("killTimeout", Durations.format(m.killTimeout()))
                .put("idleStop", m.idleStop().map(Durations::format).orElse(null))
                .put("autoRollback", m.autoRollback())
                .put("files", m.fileCount())
                .put("bytes", m.totalBytes())
                .put("envKeys", new JsonArray(m.envKeys()));
    }
}
