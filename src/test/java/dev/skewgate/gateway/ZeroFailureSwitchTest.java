package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under continuous load (pinned-old, pinned-new and unpinned; static files from memory and by sendfile, and proxied API
 * calls), 200 activate/rollback cycles: not one request fails, and every response comes wholly from one deployment,
 * the one it was pinned to.
 */
class ZeroFailureSwitchTest {

    private static final String HOST = "shop.localhost";
    private static final int CYCLES = 200;
    private static final int BIG = 2 * 1024 * 1024; // above the in-memory limit: served by sendfile

    @TempDir
    Path dir;

    static Map<String, byte[]> build(String version, byte fill) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.html", ("<html><head></head><body>" + version + "</body></html>").getBytes(StandardCharsets.UTF_8));
        files.put("data.json", ("{\"version\":\"" + version + "\"}").getBytes(StandardCharsets.UTF_8));
        byte[] big = new byte[BIG];
        Arrays.fill(big, fill);
        files.put("big.bin", big);
        return files;
    }

    @Test
    void twoHundredSwitchCyclesUnderLoadLoseNoRequestAndNeverMixVersions() throws Exception {
        try (TestBackend api1 = TestBackend.start("api-v1"); TestBackend api2 = TestBackend.start("api-v2");
             TestGateway gw = TestGateway.start(dir)) {
            gw.createSite("shop", HOST);
            gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessProbes", 1)));
            String v1 = gw.deployBytesWithBackend("shop", build("v1", (byte) 'A'), api1.url());
            String v2 = gw.deployBytesWithBackend("shop", build("v2", (byte) 'B'), api2.url());
            gw.activate("shop", v1);
            Map<String, String> versionOf = Map.of(v1, "v1", v2, "v2");
            Map<String, String> backendOf = Map.of(v1, "api-v1", v2, "api-v2");
            Map<String, Byte> fillOf = Map.of(v1, (byte) 'A', v2, (byte) 'B');

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong ok = new AtomicLong();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            List<String> pins = Arrays.asList(v1, v2, null);
            List<String> paths = List.of("/data.json", "/big.bin", "/api/version", "/");
            int workers = 6;
            ExecutorService pool = Executors.newFixedThreadPool(workers);
            for (int w = 0; w < workers; w++) {
                int worker = w;
                pool.submit(() -> {
                    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                    ObjectMapper json = new ObjectMapper();
                    long i = worker;
                    while (running.get()) {
                        String pin = pins.get((int) (i % pins.size()));
                        String path = paths.get((int) ((i / pins.size()) % paths.size()));
                        i++;
                        try {
                            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.edgePort() + path))
                                    .timeout(Duration.ofSeconds(10)).header("Host", HOST);
                            if (pin != null) {
                                b.header("X-Skewgate-Deployment", pin);
                            }
                            HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
                            String served = r.headers().firstValue("X-Skewgate-Deployment").orElse("none");
                            String problem = null;
                            if (r.statusCode() != 200) {
                                problem = "status " + r.statusCode();
                            } else if (pin != null && !pin.equals(served)) {
                                problem = "pinned to " + pin + " but served by " + served;
                            } else if (!versionOf.containsKey(served)) {
                                problem = "served by " + served;
                            } else if (path.equals("/data.json")) {
                                String v = json.readTree(r.body()).path("version").asText();
                                problem = v.equals(versionOf.get(served)) ? null : "data.json of " + v + " from " + served;
                            } else if (path.equals("/big.bin")) {
                                problem = wholly(r.body(), fillOf.get(served)) ? null : "big.bin mixed or cut from " + served;
                            } else if (path.equals("/api/version")) {
                                String b2 = json.readTree(r.body()).path("backend").asText();
                                problem = b2.equals(backendOf.get(served)) ? null : "backend " + b2 + " for " + served;
                            } else {
                                String html = new String(r.body(), StandardCharsets.UTF_8);
                                problem = html.contains(versionOf.get(served) + "</body>") ? null : "page mismatch " + served;
                            }
                            if (problem == null) {
                                ok.incrementAndGet();
                            } else {
                                failures.add(path + " pin=" + pin + ": " + problem);
                            }
                        } catch (Exception e) {
                            failures.add(path + " pin=" + pin + ": " + e);
                        }
                    }
                    return null;
                });
            }
            long started = System.nanoTime();
            for (int c = 0; c < CYCLES; c++) {
                gw.activate("shop", v2);
                gw.ok("POST", "/v1/sites/shop/rollback", Map.of());
            }
            long switchMs = (System.nanoTime() - started) / 1_000_000;
            running.set(false);
            pool.shutdown();
            assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
            assertThat(failures).as("failed or mixed responses during %d switches in %d ms", CYCLES * 2, switchMs).isEmpty();
            assertThat(ok.get()).as("requests served during the switches").isGreaterThan(1000);
        }
    }

    private static boolean wholly(byte[] body, byte fill) {
        if (body.length != BIG) {
            return false;
        }
        for (byte b : body) {
            if (b != fill) {
                return false;
            }
        }
        return true;
    }
}
