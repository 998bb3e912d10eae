package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.TestGateway;
import dev.skewgate.testing.TestGateway.Answer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deleting a site: refused while live unless forced; retires everything, frees its hosts, keeps its audit log. */
class SiteDeletionTest {

    private static final String HOST = "shop.localhost";

    @TempDir
    Path dir;
    TestGateway gw;
    String v1;

    @BeforeEach
    void start() throws Exception {
        gw = TestGateway.start(dir);
        gw.createSite("shop", HOST);
        v1 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>"));
        gw.activate("shop", v1);
    }

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    @Test
    void aLiveSiteIsOnlyDeletedWithForce() {
        Answer refused = gw.admin("DELETE", "/v1/sites/shop", null);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.error()).isEqualTo("SITE_IS_LIVE");
        assertThat(refused.body().path("message").asText()).contains(v1, HOST, "--force");
        assertThat(gw.get(HOST, "/", "Accept", "text/html").statusCode()).as("nothing changed").isEqualTo(200);
    }

    @Test
    void deletingRetiresEverythingFreesTheHostsAndKeepsTheAuditLog() throws Exception {
        String staged = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v2</body></html>"));
        Answer deleted = gw.ok("DELETE", "/v1/sites/shop?force=true", null);
        assertThat(deleted.body().path("retired").toString()).contains(v1, staged);

        assertThat(gw.admin("GET", "/v1/sites/shop", null).status()).isEqualTo(404);
        assertThat(gw.ok("GET", "/v1/sites", null).body().path("sites").size()).isZero();
        assertThat(gw.get(HOST, "/", "Accept", "text/html").statusCode()).as("unknown host page").isEqualTo(404);
        assertThat(gw.ok("GET", "/v1/deployments/" + v1, null).body().path("state").asText()).isEqualTo("retired");
        Answer events = gw.ok("GET", "/v1/sites/shop/events", null);
        assertThat(events.body().path("events").get(0).path("type").asText()).isEqualTo("site.delete");
        assertThat(events.body().path("events").get(1).path("type").asText()).as("one retire event each")
                .isEqualTo("retire");
        assertThat(events.body().path("events").get(2).path("type").asText()).isEqualTo("retire");
        long lastSeq = events.body().path("events").get(0).path("seq").asLong();
        gw.ok("POST", "/v1/retention/run", Map.of());

        gw.createSite("other", HOST); // the host is free for another site
        gw.createSite("shop", "shop2.localhost"); // and the name can be used again; its log goes on
        Answer revived = gw.ok("GET", "/v1/sites/shop/events", null);
        assertThat(revived.body().path("events").get(0).path("type").asText()).isEqualTo("site.create");
        assertThat(revived.body().path("events").get(0).path("seq").asLong()).isGreaterThan(lastSeq);
        assertThat(gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").isNull()).isTrue();
        assertThat(gw.ok("GET", "/v1/sites/shop/status", null).body().path("deployments").size())
                .as("the earlier site's deployments are not this one's").isZero();
        Answer reactivate = gw.admin("POST", "/v1/sites/shop/activate", Map.of("deployment", v1));
        assertThat(reactivate.status()).as("a deleted site's deployments stay retired").isEqualTo(409);

        gw.restart();
        assertThat(gw.ok("GET", "/v1/sites", null).body().path("sites").size()).isEqualTo(2);
    }
}
