package dev.skewgate.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonObject;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON merge patch (RFC 7396), for a site's settings and its runtime config: a patch object's members replace the
 * target's, {@code null} removes a member, objects merge recursively, anything else (arrays included) replaces the
 * target's value whole. Written here because Jackson has no merge patch and Vert.x's {@code JsonObject.mergeIn}
 * keeps nulls instead of removing them.
 */
final class MergePatch {

    private MergePatch() {
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The same on Vert.x JSON objects (through Jackson's tree: admin requests only, never a hot path). */
    static JsonObject apply(JsonObject target, JsonObject patch) {
        try {
            return new JsonObject(apply((ObjectNode) MAPPER.readTree(target.encode()), MAPPER.readTree(patch.encode()))
                    .toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("re-reading JSON that was just written", e);
        }
    }

    /** The target with the patch applied, as a new object; the target is left as it was (RFC 7396 §2). */
    static ObjectNode apply(ObjectNode target, JsonNode patch) {
        ObjectNode result = target.deepCopy();
        Iterator<Map.Entry<String, JsonNode>> members = patch.fields();
        while (members.hasNext()) {
            Map.Entry<String, JsonNode> member = members.next();
            JsonNode value = member.getValue();
            if (value.isNull()) {
                result.remove(member.getKey());
            } else if (value.isObject()) {
                JsonNode current = result.get(member.getKey());
                result.set(member.getKey(), apply(current instanceof ObjectNode o ? o
                        : JsonNodeFactory.instance.objectNode(), value));
            } else {
                result.set(member.getKey(), value);
            }
        }
        return result;
    }
}
