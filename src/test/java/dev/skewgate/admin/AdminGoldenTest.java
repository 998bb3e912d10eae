package dev.skewgate.admin;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

/**
 * The admin API's JSON answers, pinned from the outside: one fixed script against a real gateway, each answer (status,
 * ETag, body) compared with its file under {@code src/test/resources/dev/skewgate/admin/golden/}. Volatile values are
 * normalized first (deployment ids in order of first appearance, timestamps, ports). Run with
 * {@code -Dskewgate.golden.update=true} to rewrite the files after an intended change, then review the diff.
 */
class AdminGoldenTest {

    private static final Path GOLDEN = Path.of("src/test/resources/dev/skewgate/admin/golden");
    private static final boolean UPDATE = Boolean.getBoolean("skewgate.golden.update");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final DefaultPrettyPrinter PRETTY = new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"));
    private static final Pattern DEPLOYMENT_ID = Pattern.compile("dpl_[0-9A-HJKMNP-TV-Z]{26}");
    private static final Pattern INSTANT = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?Z");

    private static final String INDEX_V1 = "<!doctype html><html><head><title>Shop</title></head><body>v1 "
            + "<script type=\"module\" src=\"/assets/index-3f9a1c2b.js\"></script></body></html>";
    private static final String INDEX_V2 = "<!doctype html><html><head><title>Shop</title></head><body>v2 "
            + "<script type=\"module\" src=\"/assets/index-9e8d7c6b.js\"></script></body></html>";
    private static final String LAZY = "export default \"lazy\"";

    @TempDir
    Path dir;

    private final Map<String, String> ids = new LinkedHashMap<>();
    private final Map<String, String> actual = new LinkedHashMap<>();
    private TestGateway gw;

    @Test
    void adminAnswersMatchTheirGoldenFiles() throws Exception {
        try (TestGateway gateway = TestGateway.start(dir)) {
            gw = gateway;
            script();
        }
        compare();
    }

    /** The script: every step's answer becomes one golden file, named by its number and what it does. */
    private void script() {
        record("health", "GET", "/v1/health", null);
        // Continuous checks off: a round on the 5 s tick would add requests and check times at a random step.
        record("create-site", "POST", "/v1/sites", Map.of("name", "shop",
                "hosts", List.of("shop.localhost", "*.shop.test"), "checks", Map.of("interval", "0s",
                        "wildcardSamples", Map.of("*.shop.test", "www.shop.test"))));
        record("get-site", "GET", "/v1/sites/shop", null);
        record("list-sites", "GET", "/v1/sites", null);
        record("patch-site", "PATCH", "/v1/sites/shop", Map.of(
                "client", Map.of("strategy", "reload-on-navigation", "configAlias", "/config.json",
                        "apiOrigins", List.of("https://API.example.com")),
                "retention", Map.of("keepPrevious", 3),
                "headerRules", List.of(Map.of("glob", "assets/**", "headers", Map.of("X-Frame-Options", "DENY")))),
                "If-Match", "\"1\"");

        String v1 = deploy("v1", Map.of("index.html", INDEX_V1, "assets/index-3f9a1c2b.js", "console.log(1)",
                "assets/Lazy-AbCdEfGh.js", LAZY));
        String v2 = deploy("v2", Map.of("index.html", INDEX_V2, "assets/index-9e8d7c6b.js", "console.log(2)",
                "assets/Lazy-AbCdEfGh.js", LAZY));
        record("list-deployments", "GET", "/v1/sites/shop/deployments", null);
        record("get-deployment", "GET", "/v1/deployments/" + v1, null);
        record("deployment-files", "GET", "/v1/deployments/" + v1 + "/files", null);

        record("activate-v1", "POST", "/v1/sites/shop/activate", Map.of("deployment", v1));
        record("activate-v2", "POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
        record("activate-v2-again", "POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
        record("activation-idle", "GET", "/v1/sites/shop/activation", null);
        record("rollback", "POST", "/v1/sites/shop/rollback", null);

        record("config-put", "PUT", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api.example.com",
                "FEATURE_X", true, "limits", Map.of("items", 20)));
        record("config-patch", "PATCH", "/v1/sites/shop/config", nullValued("FEATURE_X"), "If-Match", "\"1\"");
        record("config-get", "GET", "/v1/sites/shop/config", null);

        record("events", "GET", "/v1/sites/shop/events", null);
        record("status", "GET", "/v1/sites/shop/status", null);
        record("retention-run", "POST", "/v1/retention/run", null);
        record("retire-v2", "POST", "/v1/sites/shop/retire", Map.of("deployment", v2));

        // The error answers: one shape, the code and the message.
        record("error-unknown-site", "GET", "/v1/sites/nope", null);
        record("error-unknown-endpoint", "GET", "/v1/nothing-here", null);
        record("error-invalid-json", "POST", "/v1/sites", "{not json");
        record("error-body-not-object", "PATCH", "/v1/sites/shop", "[1,2]");
        record("error-invalid-strategy", "PATCH", "/v1/sites/shop", Map.of("client", Map.of("strategy", "sometimes")));
        record("error-site-exists", "POST", "/v1/sites", Map.of("name", "shop", "hosts", List.of("other.test")));
        record("error-host-taken", "POST", "/v1/sites", Map.of("name", "blog", "hosts", List.of("shop.localhost")));
        record("error-activate-retired", "POST", "/v1/sites/shop/activate", Map.of("deployment", v2));
        record("error-retire-active", "POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
        record("error-stale-if-match", "PATCH", "/v1/sites/shop", Map.of("spa", false), "If-Match", "\"1\"");
        record("error-stale-config-revision", "PUT", "/v1/sites/shop/config", Map.of("a", 1), "If-Match", "\"1\"");
        record("error-unknown-deployment", "GET", "/v1/deployments/dpl_00000000000000000000000000", null);
        record("error-delete-live-site", "DELETE", "/v1/sites/shop", null);
        record("error-invalid-limit", "GET", "/v1/sites/shop/events?limit=0", null);
    }

    /** Uploads one build step by step, recording the manifest answer, one blob upload and the finalize answer. */
    private String deploy(String name, Map<String, String> files) {
        List<Map<String, Object>> manifest = new ArrayList<>();
        Map<String, byte[]> bySha = new LinkedHashMap<>();
        new java.util.TreeMap<>(files).forEach((path, content) -> {
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            String sha = TestGateway.sha256(bytes);
            manifest.add(Map.of("path", path, "sha256", sha, "size", bytes.length));
            bySha.put(sha, bytes);
        });
        Answer created = record("deploy-" + name, "POST", "/v1/sites/shop/deployments",
                Map.of("files", manifest, "message", "release " + name, "gitSha", "abc123" + name));
        String id = created.body().path("deployment").path("id").asText();
        boolean first = true;
        for (String sha : sorted(created.body().path("missing"))) {
            String path = "/v1/deployments/" + id + "/blobs/" + sha;
            if (first) {
                record("deploy-" + name + "-blob", "PUT", path, bySha.get(sha));
                first = false;
            } else {
                gw.ok("PUT", path, bySha.get(sha));
            }
        }
        record("deploy-" + name + "-finalize", "POST", "/v1/deployments/" + id + "/finalize", null);
        return id;
    }

    private static List<String> sorted(JsonNode strings) {
        List<String> out = new ArrayList<>();
        strings.forEach(n -> out.add(n.asText()));
        out.sort(null);
        return out;
    }

    private static Map<String, Object> nullValued(String key) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, null);
        return m;
    }

    private Answer record(String step, String method, String path, Object body, String... headers) {
        Answer a = gw.admin(method, path, body, headers);
        ObjectNode doc = JsonNodeFactory.instance.objectNode();
        doc.put("request", normalize(method + " " + path));
        doc.put("status", a.status());
        a.raw().headers().firstValue("ETag").ifPresent(etag -> doc.put("etag", etag));
        doc.set("body", normalize(a.body()));
        String name = String.format("%02d-%s.json", actual.size() + 1, step);
        actual.put(name, pretty(doc));
        return a;
    }

    private JsonNode normalize(JsonNode node) {
        if (node.isTextual()) {
            return TextNode.valueOf(normalize(node.asText()));
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            node.fields().forEachRemaining(f -> out.set(f.getKey(), f.getKey().endsWith("Port") && f.getValue().isNumber()
                    ? TextNode.valueOf("<port>") : normalize(f.getValue())));
            // "Last minute" is the current wall-clock minute's count (TrafficMeter): a script that crosses a minute
            // boundary sees 0 there. Pinned as a range instead: from 0 to the 5-minute count.
            JsonNode minute = out.path("requestsLastMinute");
            JsonNode five = out.path("requestsLast5Minutes");
            if (minute.isIntegralNumber() && five.isIntegralNumber() && minute.asLong() >= 0
                    && minute.asLong() <= five.asLong()) {
                out.put("requestsLastMinute", "<0..requestsLast5Minutes>");
            }
            // The blobs still to upload are a set; their order (a HashMap's today) is no part of the contract.
            if (out.get("missing") instanceof ArrayNode missing) {
                ArrayNode inOrder = JsonNodeFactory.instance.arrayNode();
                sorted(missing).forEach(inOrder::add);
                out.set("missing", inOrder);
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(e -> out.add(normalize(e)));
            return out;
        }
        return node;
    }

    /** Deployment ids become dpl_1, dpl_2... in order of first appearance in the script; times and ports placeholders. */
    private String normalize(String text) {
        Matcher m = DEPLOYMENT_ID.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String id = m.group();
            m.appendReplacement(out, id.equals("dpl_00000000000000000000000000") ? id
                    : ids.computeIfAbsent(id, k -> "dpl_" + (ids.size() + 1)));
        }
        m.appendTail(out);
        String s = INSTANT.matcher(out).replaceAll("<time>");
        for (int port : new int[] {gw.edgePort(), gw.adminPort()}) {
            s = s.replaceAll("(?<![0-9])" + port + "(?![0-9])", "<port>");
        }
        return s;
    }

    private static String pretty(JsonNode doc) {
        try {
            // Through plain maps so ORDER_MAP_ENTRIES_BY_KEYS sorts every object's keys.
            Object plain = JSON.treeToValue(doc, Object.class);
            return JSON.writer(PRETTY).writeValueAsString(plain) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void compare() throws IOException {
        Files.createDirectories(GOLDEN);
        Set<String> stale = new TreeSet<>();
        try (Stream<Path> files = Files.list(GOLDEN)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && !actual.containsKey(n))
                    .forEach(stale::add);
        }
        if (UPDATE) {
            for (String name : stale) {
                Files.delete(GOLDEN.resolve(name));
            }
            for (Map.Entry<String, String> e : actual.entrySet()) {
                Files.writeString(GOLDEN.resolve(e.getKey()), e.getValue());
            }
            return;
        }
        StringBuilder message = new StringBuilder();
        StringBuilder expectedAll = new StringBuilder();
        StringBuilder actualAll = new StringBuilder();
        for (Map.Entry<String, String> e : actual.entrySet()) {
            Path file = GOLDEN.resolve(e.getKey());
            String expected = Files.exists(file) ? Files.readString(file) : null;
            if (!e.getValue().equals(expected)) {
                message.append("\n=== ").append(e.getKey()).append(expected == null ? " (no golden file)" : "")
                        .append("\n--- expected\n").append(expected == null ? "" : expected)
                        .append("--- actual\n").append(e.getValue());
                expectedAll.append("=== ").append(e.getKey()).append('\n').append(expected == null ? "" : expected);
                actualAll.append("=== ").append(e.getKey()).append('\n').append(e.getValue());
            }
        }
        if (!stale.isEmpty()) {
            message.append("\n=== golden files no step of the script produces: ").append(stale);
        }
        if (!message.isEmpty()) {
            throw new AssertionFailedError("admin answers differ from " + GOLDEN + " (after an intended change, run "
                    + "mvn -B test -Dtest=AdminGoldenTest -Dskewgate.golden.update=true and review the diff):"
                    + message, expectedAll.toString(), actualAll.toString());
        }
    }
}
