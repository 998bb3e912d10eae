package dev.skewgate.admin;

import dev.skewgate.model.InvalidRequestException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Typed reads of request JSON fields: a wrong type is a 400 naming the field, never a ClassCastException. */
final class Fields {

    private Fields() {
    }

    /** The field as {@code type}, or null when absent or null. */
    static <T> T typed(JsonObject body, String field, Class<T> type) {
        Object v = body.getValue(field);
        if (v == null) {
            return null;
        }
        if (type == Integer.class && v instanceof Number n) {
            // intValue() wraps a long: 4294967296 would silently become 0 (readiness probes off)
            if (n.doubleValue() < Integer.MIN_VALUE || n.doubleValue() > Integer.MAX_VALUE) {
                throw new InvalidRequestException("INVALID_FIELD", "'" + field + "' is out of range");
            }
            return type.cast(n.intValue());
        }
        if (!type.isInstance(v)) {
            throw new InvalidRequestException("INVALID_FIELD", "'" + field + "' must be a " + type.getSimpleName().toLowerCase());
        }
        return type.cast(v);
    }

    static JsonObject optionalObject(JsonObject body, String field) {
        JsonObject o = typed(body, field, JsonObject.class);
        return o == null ? new JsonObject() : o;
    }

    static JsonArray array(JsonObject body, String field) {
        JsonArray a = typed(body, field, JsonArray.class);
        if (a == null) {
            throw new InvalidRequestException("MISSING_FIELD", "'" + field + "' is required (an array)");
        }
        return a;
    }

    static Optional<List<String>> strings(JsonObject body, String field) {
        if (body.getValue(field) == null) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (Object o : array(body, field)) {
            if (!(o instanceof String s)) {
                throw new InvalidRequestException("INVALID_FIELD", "'" + field + "' must be an array of strings");
            }
            out.add(s);
        }
        return Optional.of(out);
    }
}
