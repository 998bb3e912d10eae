package dev.skewgate.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.config.Observability;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.TestGateway;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real requests carrying credentials through a real gateway with {@code --access-log}: one line per request with
 * the fields the issue names, and no credential anywhere in the file.
 */
class AccessLogEndToEndTest {

    private static final String BEARER = "Bearer sk-live-bearer-4242";
    private static final String SESSION = "sess-cookie-9191";
    private static final String TOKEN = "query-token-7373";
    private static final String SIGNATURE = "sig-value-5151";

    @TempDir
    Path dir;

    @Test
    void jsonLinesCarryTheFieldsAndNoCredential() throws Exception {
        Path file = dir.resolve("logs/access.log");
        try (TestBackend api = TestBackend.start("api-1");
             TestGateway gw = TestGateway.start(dir.resolve("data"), s -> s.withObservability(
                     Observability.DEFAULTS.withAccessLog(Observability.Format.JSON, Optional.of(file))))) {
            gw.createSite("shop", "shop.localhost");
            String v1 = gw.deployWithBackend("shop", Map.of("index.html", "<html>v1</html>"), api.url());
            gw.activate("shop", v1);

            HttpResponse<byte[]> page = gw.get("shop.localhost", "/index.html?token=" + TOKEN + "&page=2&X-Amz-Signature="
                    + SIGNATURE + "&_skewgate=" + v1, "Authorization", BEARER, "Cookie", "session=" + SESSION,
                    "Referer", "http://shop.localhost/login?password=" + TOKEN);
            assertThat(page.statusCode()).isEqualTo(200);
            HttpResponse<byte[]> proxied = gw.get("shop.localhost", "/api/version?api_key=" + TOKEN,
                    "Authorization", BEARER, "Cookie", "skewgate_dpl=" + v1 + "; session=" + SESSION);
            assertThat(proxied.statusCode()).isEqualTo(200);
            assertThat(gw.get("unknown.example", "/?secret=" + TOKEN, "Authorization", BEARER).statusCode())
                    .isEqualTo(404);

            // Found by request id, not by position: the activation's synthetic checks are logged too, by a writer
            // thread that may still be appending their lines.
            String pageId = page.headers().firstValue("x-request-id").orElseThrow();
            String apiId = proxied.headers().firstValue("x-request-id").orElseThrow();
            JsonNode staticLine = awaitLine(file, l -> l.path("id").asText().equals(pageId));
            assertThat(staticLine.path("site").asText()).isEqualTo("shop");
            assertThat(staticLine.path("host").asText()).isEqualTo("shop.localhost");
            assertThat(staticLine.path("method").asText()).isEqualTo("GET");
            assertThat(staticLine.path("path").asText()).isEqualTo("/index.html?token=REDACTED&page=2"
                    + "&X-Amz-Signature=REDACTED&_skewgate=REDACTED");
            assertThat(staticLine.path("status").asInt()).isEqualTo(200);
            assertThat(staticLine.path("bytes").asLong()).as("the body as sent (the SDK tag injected)")
                    .isEqualTo(page.body().length);
            assertThat(staticLine.path("deployment").asText()).isEqualTo(v1);
            assertThat(staticLine.path("pin").asText()).isEqualTo("query");
            assertThat(staticLine.path("upstream").isNull()).isTrue();
            assertThat(staticLine.path("duration").asDouble()).isPositive();
            assertThat(staticLine.path("id").asText()).isEqualTo(page.headers().firstValue("x-request-id").orElseThrow());
            assertThat(staticLine.path("referer").asText()).isEqualTo("http://shop.localhost/login?password=REDACTED");
            assertThat(staticLine.path("time").asText()).endsWith("Z");

            JsonNode apiLine = awaitLine(file, l -> l.path("id").asText().equals(apiId));
            assertThat(apiLine.path("path").asText()).isEqualTo("/api/version?api_key=REDACTED");
            assertThat(apiLine.path("pin").asText()).isEqualTo("cookie");
            assertThat(apiLine.path("deployment").asText()).isEqualTo(v1);
            assertThat(apiLine.path("upstream").asDouble()).isPositive()
                    .isLessThanOrEqualTo(apiLine.path("duration").asDouble());

            JsonNode unknown = awaitLine(file, l -> l.path("host").asText().equals("unknown.example"));
            assertThat(unknown.path("status").asInt()).isEqualTo(404);
            assertThat(unknown.path("site").isNull()).isTrue();
            assertThat(unknown.path("host").asText()).isEqualTo("unknown.example");
            assertThat(unknown.path("id").asText()).isNotEmpty();
        }
        String all = Files.readString(file);
        for (String secret : List.of("sk-live-bearer", SESSION, TOKEN, SIGNATURE, "Bearer", "Authorization",
                "Cookie", "session=")) {
            assertThat(all).as("the access log never shows %s", secret).doesNotContain(secret);
        }
    }

    @Test
    void combinedLinesToAFileReadAsApacheCombinedThenKeyValues() throws Exception {
        Path file = dir.resolve("access.log");
        try (TestGateway gw = TestGateway.start(dir.resolve("data"), s -> s.withObservability(
                Observability.DEFAULTS.withAccessLog(Observability.Format.COMBINED, Optional.of(file))))) {
            gw.createSite("shop", "shop.localhost");
            String v1 = gw.deploy("shop", Map.of("index.html", "<html>v1</html>"));
            gw.activate("shop", v1);
            int length = gw.get("shop.localhost", "/?auth=" + TOKEN, "Authorization", BEARER, "User-Agent",
                    "probe/1.0", "X-Skewgate-Deployment", v1).body().length;
            String line = awaitRaw(file, l -> l.contains("probe/1.0"));
            assertThat(line).matches("127\\.0\\.0\\.1 - - \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000] "
                    + "\"GET /\\?auth=REDACTED HTTP/1\\.1\" 200 " + length + " \"-\" \"probe/1\\.0\" site=shop host=shop\\.localhost "
                    + "deployment=" + v1 + " pin=header duration=\\d+\\.\\d{6} upstream=- id=[0-9a-f]+");
        }
        assertThat(Files.readString(file)).doesNotContain(TOKEN).doesNotContain("sk-live");
    }

    /** The first line that matches, waiting for the writer thread (bounded by a deadline). */
    private static String awaitRaw(Path file, java.util.function.Predicate<String> match) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (true) {
            List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
            for (String l : lines) {
                if (match.test(l)) {
                    return l;
                }
            }
            assertThat(System.currentTimeMillis()).as("a matching line in %s: %s", file, lines).isLessThan(deadline);
            Thread.sleep(20); // polling the file the writer thread appends to, bounded by the deadline
        }
    }

    private static JsonNode awaitLine(Path file, java.util.function.Predicate<JsonNode> match) throws Exception {
        ObjectMapper json = new ObjectMapper();
        String line = awaitRaw(file, l -> {
            try {
                return match.test(json.readTree(l));
            } catch (java.io.IOException e) {
                return false; // a line being written
            }
        });
        return json.readTree(line);
    }
}
