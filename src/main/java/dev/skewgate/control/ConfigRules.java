package dev.skewgate.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.TooLargeException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a runtime config may hold. It is served to every browser, so it is public by nature: keys that look like
 * secrets are refused unless the caller insists, and its size is bounded because it is injected into every page.
 */
public final class ConfigRules {

    public static final int MAX_BYTES = 64 * 1024;
    private static final List<String> SECRET_WORDS = List.of("SECRET", "TOKEN", "PASSWORD", "PASSWD", "PRIVATE", "CREDENTIAL");

    private ConfigRules() {
    }

    /** Throws when the value is not a JSON object, is too large, or (unless forced) has secret-looking keys. */
    public static void check(JsonNode config, String encoded, boolean force) {
        if (config == null || !config.isObject()) {
            throw new InvalidRequestException("CONFIG_NOT_OBJECT", "a runtime config must be a JSON object");
        }
        int size = encoded.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (size > MAX_BYTES) {
            throw new TooLargeException("CONFIG_TOO_LARGE",
                    "the config is " + size + " bytes; the limit is " + MAX_BYTES + " (it is injected into every page)");
        }
        if (!force) {
            List<String> found = new ArrayList<>();
            secretKeys(config, "", found);
            if (!found.isEmpty()) {
                throw new InvalidRequestException("CONFIG_LOOKS_SECRET", "key(s) " + String.join(", ", found)
                        + " look like secrets, but the runtime config is public: every visitor's browser receives it. "
                        + "Keep secrets on the server; if this value really is public, repeat with --force.");
            }
        }
    }

    private static void secretKeys(JsonNode node, String prefix, List<String> found) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                String upper = f.getKey().toUpperCase(Locale.ROOT);
                if (SECRET_WORDS.stream().anyMatch(upper::contains)) {
                    found.add(prefix + f.getKey());
                }
                secretKeys(f.getValue(), prefix + f.getKey() + ".", found);
            }
        } else if (node.isArray()) {
            for (JsonNode item : node) {
                secretKeys(item, prefix, found);
            }
        }
    }
}
