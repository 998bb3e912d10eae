package dev.skewgate.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.model.Backend;
import dev.skewgate.model.BackendDefaults;
import dev.skewgate.model.CheckSettings;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.ManagedBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The JSON columns every store kind keeps (settings, backends, check settings), written by hand rather than by
 * Jackson's record binding so that the stored form is plain (no Optional wrappers) and a column written before a
 * field existed still reads.
 */
public final class ColumnJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ColumnJson() {
    }

    public static String write(Backend b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("upstreams", b.upstreams());
        m.put("healthPath", b.healthPath());
        b.managed().ifPresent(x -> {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("run", x.run());
            k.put("instances", x.instances());
            k.put("release", x.release().orElse(null));
            k.put("maxMemoryBytes", x.maxMemoryBytes().isPresent() ? x.maxMemoryBytes().getAsLong() : null);
            k.put("killTimeoutMs", x.killTimeout().toMillis());
            k.put("idleStopMs", x.idleStop().map(Duration::toMillis).orElse(null));
            k.put("autoRollback", x.autoRollback());
            k.put("fileCount", x.fileCount());
            k.put("totalBytes", x.totalBytes());
            k.put("envKeys", x.envKeys());
            m.put("managed", k);
        });
        return text(m);
    }

    @SuppressWarnings("unchecked")
    public static Optional<Backend> backend(String json) {
        if (json == null) {
            return Optional.empty();
        }
        Map<String, Object> m = map(json);
        List<String> upstreams = m.get("upstreams") instanceof List<?> l ? (List<String>) l : List.of();
        String health = m.get("healthPath") instanceof String s ? s : "/";
        Optional<ManagedBackend> managed = Optional.empty();
        if (m.get("managed") instanceof Map<?, ?> raw) {
            Map<String, Object> k = (Map<String, Object>) raw;
            managed = Optional.of(new ManagedBackend(
                    (String) k.get("run"),
                    ((Number) k.get("instances")).intValue(),
                    Optional.ofNullable((String) k.get("release")),
                    k.get("maxMemoryBytes") instanceof Number n ? OptionalLong.of(n.longValue()) : OptionalLong.empty(),
                    Duration.ofMillis(((Number) k.get("killTimeoutMs")).longValue()),
                    k.get("idleStopMs") instanceof Number n ? Optional.of(Duration.ofMillis(n.longValue())) : Optional.empty(),
                    Boolean.TRUE.equals(k.get("autoRollback")),
                    k.get("fileCount") instanceof Number n ? n.intValue() : 0,
                    k.get("totalBytes") instanceof Number n ? n.longValue() : 0,
                    k.get("envKeys") instanceof List<?> l ? (List<String>) l : List.of()));
        }
        return Optional.of(new Backend(upstreams, health, managed));
    }

    public static String write(BackendDefaults d) {
        Map<String, Object> m = new LinkedHashMap<>();
        d.run().ifPresent(v -> m.put("run", v));
        d.instances().ifPresent(v -> m.put("instances", v));
        d.healthPath().ifPresent(v -> m.put("healthPath", v));
        d.release().ifPresent(v -> m.put("release", v));
        d.maxMemoryBytes().ifPresent(v -> m.put("maxMemoryBytes", v));
        d.killTimeout().ifPresent(v -> m.put("killTimeoutMs", v.toMillis()));
        d.idleStop().ifPresent(v -> m.put("idleStopMs", v.toMillis()));
        d.autoRollback().ifPresent(v -> m.put("autoRollback", v));
        return text(m);
    }

    public static BackendDefaults defaults(String json) {
        if (json == null) {
            return BackendDefaults.NONE;
        }
        Map<String, Object> m = map(json);
        return new BackendDefaults(
                Optional.ofNullable((String) m.get("run")),
                m.get("instances") instanceof Number n ? OptionalInt.of(n.intValue()) : OptionalInt.empty(),
                Optional.ofNullable((String) m.get("healthPath")),
                Optional.ofNullable((String) m.get("release")),
                m.get("maxMemoryBytes") instanceof Number n ? OptionalLong.of(n.longValue()) : OptionalLong.empty(),
                m.get("killTimeoutMs") instanceof Number n ? Optional.of(Duration.ofMillis(n.longValue())) : Optional.empty(),
                m.get("idleStopMs") instanceof Number n ? Optional.of(Duration.ofMillis(n.longValue())) : Optional.empty(),
                Optional.ofNullable((Boolean) m.get("autoRollback")));
    }

    /** A site's response settings (HSTS, proxied compression) as stored. */
    public static String responses(dev.skewgate.model.ResponseSettings r) {
        Map<String, Object> m = new LinkedHashMap<>();
        r.hsts().ifPresent(h -> m.put("hsts", Map.of("maxAge", h.maxAge(), "includeSubDomains", h.includeSubDomains(),
                "preload", h.preload())));
        m.put("compressProxied", r.compressProxied());
        return text(m);
    }

    /** The response settings stored by {@link #responses(dev.skewgate.model.ResponseSettings)}; none: both off. */
    public static dev.skewgate.model.ResponseSettings responses(String json) {
        if (json == null || json.isBlank()) {
            return dev.skewgate.model.ResponseSettings.DEFAULT;
        }
        Map<String, Object> m = map(json);
        Optional<dev.skewgate.model.Hsts> hsts = Optional.empty();
        if (m.get("hsts") instanceof Map<?, ?> h && h.get("maxAge") instanceof Number maxAge) {
            hsts = Optional.of(new dev.skewgate.model.Hsts(maxAge.longValue(), Boolean.TRUE.equals(h.get("includeSubDomains")),
                    Boolean.TRUE.equals(h.get("preload"))));
        }
        return new dev.skewgate.model.ResponseSettings(hsts, Boolean.TRUE.equals(m.get("compressProxied")));
    }

    public static String checks(CheckSettings c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("readinessProbes", c.readinessProbes());
        m.put("readinessTimeoutMs", c.readinessTimeout().toMillis());
        m.put("synthetic", c.synthetic());
        m.put("intervalMs", c.interval().toMillis());
        m.put("autoRollback", c.autoRollback());
        m.put("retireWhenIdleMs", c.retireWhenIdle().map(Duration::toMillis).orElse(null));
        m.put("wildcardSamples", c.wildcardSamples());
        return text(m);
    }

    @SuppressWarnings("unchecked")
    public static CheckSettings checks(String json) {
        Map<String, Object> m = map(json);
        CheckSettings d = CheckSettings.DEFAULT;
        Object idle = m.get("retireWhenIdleMs");
        return new CheckSettings(
                m.get("readinessProbes") instanceof Number n ? n.intValue() : d.readinessProbes(),
                m.get("readinessTimeoutMs") instanceof Number n ? Duration.ofMillis(n.longValue()) : d.readinessTimeout(),
                m.get("synthetic") instanceof Boolean b ? b : d.synthetic(),
                m.get("intervalMs") instanceof Number n ? Duration.ofMillis(n.longValue()) : d.interval(),
                m.get("autoRollback") instanceof Boolean b ? b : d.autoRollback(),
                idle instanceof Number n ? Optional.of(Duration.ofMillis(n.longValue())) : Optional.empty(),
                m.get("wildcardSamples") instanceof Map<?, ?> w ? (Map<String, String>) w : Map.of());
    }

    public static List<HeaderRule> headerRules(String json) {
        List<Map<String, Object>> raw = read(json, new TypeReference<List<Map<String, Object>>>() { });
        List<HeaderRule> out = new ArrayList<>();
        for (Map<String, Object> r : raw) {
            @SuppressWarnings("unchecked")
            Map<String, String> headers = (Map<String, String>) r.get("headers");
            out.add(new HeaderRule((String) r.get("glob"), headers));
        }
        return out;
    }

    public static List<String> strings(String json) {
        return read(json, new TypeReference<List<String>>() { });
    }

    /** Any plain value (lists, maps, records of settings) as JSON text. */
    public static String text(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("settings are always serializable", e);
        }
    }

    private static <T> T read(String json, TypeReference<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new StoreFailure("corrupt JSON column: " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> map(String json) {
        return read(json, new TypeReference<Map<String, Object>>() { });
    }
}
