package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's server-side environment through the real admin API: set, list and unset round trip, values never in an
 * answer, the gateway's log or the database files, and bad keys and values refused with their codes.
 */
class ServerEnvTest {

    private static final String SECRET = "postgres://app:hunter2-s3cr3t-VALUE@db.internal:5432/shop";
    private static final String OTHER = "sk_live_another-secret-VALUE-42";

    @TempDir
    Path dir;

    /** Everything the process prints (slf4j-simple writes to System.err) while {@code work} runs, and still printed. */
    private static String captured(ThrowingRunnable work) throws Exception {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        PrintStream out = System.out;
        PrintStream err = System.err;
        System.setOut(new PrintStream(new Tee(out, copy), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new Tee(err, copy), true, StandardCharsets.UTF_8));
        try {
            work.run();
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return copy.toString(StandardCharsets.UTF_8);
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }

    private static Map<String, Integer> keys(JsonNode env) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        env.path("keys").forEach(k -> {
            assertThat(k.path("value").asText()).isEqualTo("\u2022\u2022\u2022\u2022\u2022\u2022");
            out.put(k.path("name").asText(), k.path("length").asInt());
        });
        return out;
    }

    @Test
    void keysSetListAndUnsetRoundTripWithValuesNeverInAnswersLogsOrTheDatabaseFiles() throws Exception {
        Path data = dir.resolve("data");
        StringBuilder answers = new StringBuilder();
        String log = captured(() -> {
            try (TestGateway gw = TestGateway.start(data)) {
                gw.createSite("shop", "shop.test");
                gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>")));
                Answer empty = gw.ok("GET", "/v1/sites/shop/env", null);
                assertThat(empty.body().path("revision").asLong()).isZero();
                assertThat(empty.body().path("keys")).isEmpty();

                Answer set = gw.ok("PATCH", "/v1/sites/shop/env",
                        Map.of("set", Map.of("DATABASE_URL", SECRET, "STRIPE_KEY", OTHER)));
                answers.append(set.body());
                assertThat(set.body().path("revision").asLong()).isEqualTo(1);
                assertThat(keys(set.body())).containsExactly(Map.entry("DATABASE_URL", SECRET.length()),
                        Map.entry("STRIPE_KEY", OTHER.length()));

                Answer same = gw.ok("PATCH", "/v1/sites/shop/env", Map.of("set", Map.of("DATABASE_URL", SECRET)));
                assertThat(same.body().path("revision").asLong()).as("nothing changed: no new revision").isEqualTo(1);

                Answer both = gw.ok("PATCH", "/v1/sites/shop/env",
                        Map.of("set", Map.of("DATABASE_URL", SECRET + "2"), "unset", List.of("STRIPE_KEY", "ABSENT")));
                answers.append(both.body());
                assertThat(both.body().path("revision").asLong()).isEqualTo(2);
                assertThat(keys(both.body())).containsExactly(Map.entry("DATABASE_URL", SECRET.length() + 1));

                Answer listed = gw.ok("GET", "/v1/sites/shop/env", null);
                answers.append(listed.body());
                assertThat(keys(listed.body())).containsOnlyKeys("DATABASE_URL");
                assertThat(gw.gateway().control().env().list("shop").revision()).isEqualTo(2);

                for (String path : List.of("/v1/sites/shop", "/v1/sites", "/v1/sites/shop/events",
                        "/v1/sites/shop/status", "/v1/sites/shop/config", "/v1/sites/shop/deployments")) {
                    answers.append(gw.ok("GET", path, null).body());
                }
                JsonNode events = gw.ok("GET", "/v1/sites/shop/events", null).body();
                assertThat(events.toString()).contains("env.set").contains("DATABASE_URL").contains("STRIPE_KEY");
                assertThat(TestGateway.text(gw.get("shop.test", "/"))).doesNotContain("hunter2");

                // The env survives a restart, read back from its encrypted form.
                gw.restart();
                assertThat(keys(gw.ok("GET", "/v1/sites/shop/env", null).body())).containsOnlyKeys("DATABASE_URL");

                Answer unset = gw.ok("PATCH", "/v1/sites/shop/env", Map.of("unset", List.of("DATABASE_URL")));
                assertThat(unset.body().path("keys")).isEmpty();
                assertThat(unset.body().path("revision").asLong()).isEqualTo(3);
                assertThat(gw.ok("GET", "/v1/sites/shop/events", null).body().toString()).contains("env.unset");
            }
        });
        assertThat(answers.toString()).contains("DATABASE_URL").doesNotContain("hunter2").doesNotContain("VALUE");
        assertThat(log).as("the gateway's log was captured at all").contains("admin");
        assertThat(log).doesNotContain("hunter2").doesNotContain("s3cr3t").doesNotContain("another-secret");
        try (Stream<Path> files = Files.list(data)) {
            List<Path> db = files.filter(p -> p.getFileName().toString().startsWith("skewgate.db")).toList();
            assertThat(db).isNotEmpty();
            for (Path f : db) {
                String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertThat(bytes).as(f.getFileName().toString()).doesNotContain("hunter2")
                        .doesNotContain("another-secret");
            }
            assertThat(new String(Files.readAllBytes(data.resolve("skewgate.db")), StandardCharsets.ISO_8859_1))
                    .as("the key names are stored in the clear, so the check above looks at the right file")
                    .contains("DATABASE_URL");
        }
    }

    @Test
    void badKeysAndValuesAreRefusedWithTheirCodesAndChangeNothing() throws Exception {
        try (TestGateway gw = TestGateway.start(dir.resolve("data"))) {
            gw.createSite("shop", "shop.test");
            gw.ok("PATCH", "/v1/sites/shop/env", Map.of("set", Map.of("KEEP", "kept")));
            record Case(Object body, String code) {
            }
            List<Case> cases = List.of(
                    new Case(Map.of("set", Map.of("1ABC", "x")), "INVALID_ENV_KEY"),
                    new Case(Map.of("set", Map.of("BAD-NAME", "x")), "INVALID_ENV_KEY"),
                    new Case(Map.of("set", Map.of("A".repeat(129), "x")), "INVALID_ENV_KEY"),
                    new Case(Map.of("set", Map.of("PORT", "8080")), "RESERVED_ENV_KEY"),
                    new Case(Map.of("set", Map.of("SKEWGATE_SITE", "x")), "RESERVED_ENV_KEY"),
                    new Case(Map.of("set", Map.of("BIG", "x".repeat(32 * 1024 + 1))), "ENV_TOO_LARGE"),
                    new Case(Map.of("set", Map.of("A1", "x".repeat(30_000), "A2", "x".repeat(30_000),
                            "A3", "x".repeat(30_000))), "ENV_TOO_LARGE"),
                    new Case(Map.of("set", Map.of("NUL", "a\u0000b")), "INVALID_ENV_VALUE"),
                    new Case(Map.of("set", Map.of("NUM", 5)), "INVALID_ENV_VALUE"),
                    new Case(Map.of("unset", List.of("bad name")), "INVALID_ENV_KEY"),
                    new Case(Map.of(), "MISSING_FIELD"));
            for (Case c : cases) {
                Answer a = gw.admin("PATCH", "/v1/sites/shop/env", c.body());
                assertThat(a.status()).as(c.toString().substring(0, Math.min(80, c.toString().length())))
                        .isEqualTo(400);
                assertThat(a.error()).as(a.body().toString()).isEqualTo(c.code());
            }
            JsonNode env = gw.ok("GET", "/v1/sites/shop/env", null).body();
            assertThat(env.path("revision").asLong()).isEqualTo(1);
            assertThat(keys(env)).containsOnlyKeys("KEEP");
            assertThat(gw.admin("GET", "/v1/sites/nope/env", null).status()).isEqualTo(404);
            assertThat(gw.admin("PATCH", "/v1/sites/nope/env", Map.of("set", Map.of("A", "b"))).status())
                    .isEqualTo(404);
        }
    }
}
