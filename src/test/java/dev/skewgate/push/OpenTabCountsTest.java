package dev.skewgate.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.SseClient;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Open-tab counts are keyed by deployments the site knows, and a count that drops to zero is removed. */
class OpenTabCountsTest {

    @TempDir
    Path dir;

    @Test
    void madeUpBootIdsAreCountedAsUnknownNotEachUnderItsOwnKey() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            gw.createSite("shop", "shop.test");
            String v1 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>"));
            gw.activate("shop", v1);
            List<SseClient> tabs = new ArrayList<>();
            try {
                tabs.add(SseClient.open(gw.edgePort(), "shop.test", "/_skewgate/events?deployment=" + v1));
                for (int i = 0; i < 20; i++) {
                    tabs.add(SseClient.open(gw.edgePort(), "shop.test",
                            "/_skewgate/events?deployment=dpl_" + String.format("%026d", i)));
                }
                for (SseClient tab : tabs) {
                    assertThat(tab.next("hello", Duration.ofSeconds(5))).isNotNull();
                }
                assertThat(gw.gateway().openClients("shop")).isEqualTo(Map.of(v1, 1, SseEndpoint.UNKNOWN_BOOT, 20));
            } finally {
                for (SseClient tab : tabs) {
                    tab.close();
                }
            }
        }
    }

    @Test
    void theLastStreamOfADeploymentRemovesItsEntry() {
        PushHub hub = new PushHub();
        List<EventStream> streams = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            streams.add(new EventStream(null, "shop", "dpl_" + i, ""));
        }
        EventStream last = new EventStream(null, "shop", "dpl_0", "");
        streams.forEach(hub::opened);
        hub.opened(last);
        streams.forEach(hub::closed);
        assertThat(hub.countedDeployments("shop")).isEqualTo(1);
        assertThat(hub.openClients("shop")).isEqualTo(Map.of("dpl_0", 1));
        hub.closed(last);
        assertThat(hub.countedDeployments("shop")).isZero();
    }
}
