package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.config.StoreSettings;
import dev.skewgate.control.ClusterView;
import dev.skewgate.control.Running;
import dev.skewgate.store.NodeReport;
import dev.skewgate.store.Nodes;
import dev.skewgate.store.SecretBox;
import dev.skewgate.testing.Postgres;
import dev.skewgate.testing.SseClient;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one PostgreSQL: each publishes what it counts with its heartbeat, and the status of either shows the
 * sum over the live ones; the nodes list names both and what each serves. A node whose report is older than
 * {@link Nodes#LIVE} no longer counts.
 */
class ClusterCountsTest {

    private static final String HOST = "shop.localhost";

    @TempDir
    Path dir;

    private static TestGateway node(Path dataDir, String url) throws Exception {
        return TestGateway.start(dataDir, s -> s.withStore(StoreSettings.postgres(url, StoreSettings.DEFAULT_BLOB_CACHE)));
    }

    @Test
    void aTabOnOneNodeAndItsRequestsShowInTheOtherNodesStatusUntilItCloses() throws Exception {
        String url = Postgres.shared().createDatabase();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        try (TestGateway first = node(a, url)) {
            first.createSite("shop", HOST);
            String v1 = first.deploy("shop", Map.of("index.html", "<html>v1</html>"));
            first.activate("shop", v1);
            Files.createDirectories(b);
            Files.copy(a.resolve(SecretBox.KEY_FILE), b.resolve(SecretBox.KEY_FILE));
            try (TestGateway second = node(b, url)) {
                JsonNode nodes = await(first, "/v1/nodes", n -> n.path("nodes").size() == 2);
                for (JsonNode n : nodes.path("nodes")) {
                    assertThat(n.path("live").asBoolean()).isTrue();
                    assertThat(n.path("serving").path("shop").asText()).isEqualTo(v1);
                    assertThat(n.path("node").asText()).matches("node-[0-9a-f]{8}");
                }
                assertThat(nodes.path("nodes").get(0).path("node").asText())
                        .isNotEqualTo(nodes.path("nodes").get(1).path("node").asText());

                try (SseClient tab = SseClient.open(second.edgePort(), HOST, "/_skewgate/events?deployment=" + v1)) {
                    assertThat(tab.status()).isEqualTo(200);
                    for (int i = 0; i < 3; i++) {
                        assertThat(second.get(HOST, "/").statusCode()).isEqualTo(200);
                    }
                    JsonNode seen = await(first, "/v1/sites/shop/status", s -> deployment(s, v1).path("openTabs").asInt() == 1);
                    assertThat(deployment(seen, v1).path("requestsLastMinute").asLong())
                            .as("the second node's requests, counted by the first").isGreaterThanOrEqualTo(3);
                }
                await(first, "/v1/sites/shop/status", s -> deployment(s, v1).path("openTabs").asInt() == 0);
            }
        }
    }

    @Test
    void aNodeThatStoppedReportingAgesOutOfTheSum() {
        Running local = new Running() {
            @Override
            public Map<String, Integer> openTabs(String site) {
                return Map.of("dpl_1", 1);
            }

            @Override
            public Activity activity(String deployment) {
                return Activity.NONE;
            }
        };
        ClusterView view = new ClusterView(local, "node-00000001", Nodes.solo());
        NodeReport fresh = report("node-00000002", 2);
        NodeReport stale = report("node-00000003", 40);
        NodeReport self = report("node-00000001", 1000); // its own row: never added to its live counters
        view.seenForTest(List.of(new Nodes.Seen(fresh, Duration.ofSeconds(2)), new Nodes.Seen(stale, Duration.ofSeconds(16)),
                new Nodes.Seen(self, Duration.ZERO)));
        assertThat(view.openTabs("shop")).isEqualTo(Map.of("dpl_1", 3));
        assertThat(view.activity("dpl_1").requestsLastMinute()).isEqualTo(2 * 10);
        assertThat(view.nodes()).extracting(Nodes.Seen::live).containsExactly(true, false, true);
    }

    private static NodeReport report(String node, int tabs) {
        return new NodeReport(node, "127.0.0.1:1", Instant.EPOCH, Map.of("shop", Map.of("dpl_1", tabs)),
                Map.of("dpl_1", new NodeReport.Counts(0, tabs * 10L, tabs * 10L, 0, 0, null)), Map.of("shop", "dpl_1"));
    }

    private static JsonNode deployment(JsonNode status, String id) {
        for (JsonNode d : status.path("deployments")) {
            if (d.path("id").asText().equals(id)) {
                return d;
            }
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /** Polls an admin GET until it matches; heartbeats come every 3 s, so 15 s is five of them. */
    private static JsonNode await(TestGateway gw, String path, Predicate<JsonNode> done) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        JsonNode last;
        do {
            last = gw.ok("GET", path, null).body();
            if (done.test(last)) {
                return last;
            }
            Thread.sleep(100);
        } while (System.currentTimeMillis() < deadline);
        throw new AssertionError("never matched within 15 s: " + path + " -> " + last);
    }
}
