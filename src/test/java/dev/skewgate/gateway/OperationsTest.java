package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skewgate.testing.SseClient;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.TestGateway;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What runs by itself once a site is live: upstream failover, trusted proxies, idle retirement, auto-rollback. */
class OperationsTest {

    private static final String HOST = "shop.localhost";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static Map<String, String> page(String version) {
        return Map.of("index.html", "<html><head></head><body>" + version + "</body></html>");
    }

    @Test
    void aDeadUpstreamIsSkippedAndEveryRequestStillSucceeds() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort();
        }
        try (TestBackend api = TestBackend.start("api"); TestGateway gw = TestGateway.start(dir)) {
            gw.createSite("shop", HOST);
            gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessProbes", 0),
                    "defaultBackend", Map.of("upstreams", List.of("http://127.0.0.1:" + dead, api.url()),
                            "healthPath", "/api/health")));
            gw.activate("shop", gw.deploy("shop", page("v1")));
            for (int i = 0; i < 20; i++) {
                assertThat(gw.get(HOST, "/api/version").statusCode()).as("request " + i).isEqualTo(200);
            }
        }
    }

    @Test
    void forwardingHeadersFromATrustedProxyAreKeptAndAppendedTo() throws Exception {
        try (TestBackend api = TestBackend.start("api");
             TestGateway gw = TestGateway.start(dir, s -> s.withTrustedProxies(List.of("127.0.0.0/8")))) {
            gw.createSite("shop", HOST);
            gw.activate("shop", gw.deployWithBackend("shop", page("v1"), api.url()));
            JsonNode h = JSON.readTree(gw.get(HOST, "/api/echo", "X-Forwarded-For", "203.0.113.7",
                    "X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop.example.com").body()).path("headers");
            assertThat(h.path("x-forwarded-for").asText()).isEqualTo("203.0.113.7, 127.0.0.1");
            assertThat(h.path("x-forwarded-proto").asText()).isEqualTo("https");
            assertThat(h.path("x-forwarded-host").asText()).isEqualTo("shop.example.com");
        }
    }

    @Test
    void anIdlePreviousDeploymentIsRetiredButNotWhileATabStillRunsIt() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            gw.createSite("shop", HOST);
            gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("retireWhenIdle", "1s")));
            String v1 = gw.deploy("shop", page("v1"));
            gw.activate("shop", v1);
            String v2 = gw.deploy("shop", page("v2"));
            gw.activate("shop", v2);
            String v3;
            try (SseClient tab = SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=" + v1)) {
                tab.next("hello", Duration.ofSeconds(5));
                // v2 stops being active only now, after v1 was demoted and its tab opened: whenever retention finds
                // v2 idle, it would find v1 idle too if v1's open tab did not count.
                v3 = gw.deploy("shop", page("v3"));
                gw.activate("shop", v3);
                gw.activate("shop", gw.deploy("shop", page("v4"))); // v3 is now the rollback target: always kept
                Map<String, String> states = awaitRetired(gw, v2);
                assertThat(states.get(v1)).as("a tab still runs v1").isEqualTo("previous");
            }
            Map<String, String> states = awaitRetired(gw, v1);
            assertThat(states.get(v3)).as("the rollback target is kept").isEqualTo("previous");
        }
    }

    /** Runs retention until {@code deployment} is retired (whoever retires it), then answers every deployment's state. */
    private static Map<String, String> awaitRetired(TestGateway gw, String deployment) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Map<String, String> states = Map.of();
        while (System.nanoTime() < deadline) {
            gw.ok("POST", "/v1/retention/run", null);
            states = new java.util.HashMap<>();
            for (JsonNode d : gw.ok("GET", "/v1/sites/shop/deployments", null).body().path("deployments")) {
                states.put(d.path("id").asText(), d.path("state").asText());
            }
            if ("retired".equals(states.get(deployment))) {
                return states;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(deployment + " was not retired within 10 s: " + states);
    }

    @Test
    void autoRollbackRevertsWhenContinuousChecksFailTwiceAfterASwitch() throws Exception {
        try (TestBackend api1 = TestBackend.start("api-v1"); TestBackend api2 = TestBackend.start("api-v2");
             TestGateway gw = TestGateway.start(dir)) {
            gw.createSite("shop", HOST);
            gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("interval", "5s", "autoRollback", true)));
            String v1 = gw.deployWithBackend("shop", page("v1"), api1.url());
            gw.activate("shop", v1);
            String v2 = gw.deployWithBackend("shop", page("v2"), api2.url());
            gw.activate("shop", v2);
            api2.healthStatus = 500; // the new backend breaks after the switch
            long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            String active = v2;
            while (System.nanoTime() < deadline && active.equals(v2)) {
                Thread.sleep(250);
                active = gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText();
            }
            assertThat(active).isEqualTo(v1);
            JsonNode last = gw.ok("GET", "/v1/sites/shop/events?limit=1", null).body().path("events").get(0);
            assertThat(last.path("type").asText()).isEqualTo("rollback");
            assertThat(last.path("actor").asText()).isEqualTo("auto-rollback");
        }
    }
}
