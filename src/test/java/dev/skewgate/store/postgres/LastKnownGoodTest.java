package dev.skewgate.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skewgate.model.Backend;
import dev.skewgate.model.CheckSettings;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Retention;
import dev.skewgate.model.RuntimeConfig;
import dev.skewgate.model.Site;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.store.sqlite.SqliteStore;
import dev.skewgate.testing.Postgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The last-known-good copy answers every read a snapshot needs exactly as the database does, keeps secrets sealed
 * and only what a snapshot serves; the standby store on it refuses writes and hands over to the database.
 */
class LastKnownGoodTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void theCopyReadsBackAsTheDatabaseAnswersForEverythingASnapshotServes() throws Exception {
        String url = Postgres.shared().createDatabase();
        try (PostgresStore db = PostgresStore.open(url, dir)) {
            db.createSite(site("shop", "shop.localhost", "*.shop.example"), ev("site.create"));
            db.createSite(site("blog", "blog.localhost"), ev("site.create"));
            db.setConfig("shop", "{\"flag\":true}", ev("config.set"));
            db.setEnv("shop", Map.of("API_KEY", "s3cret"), Set.of(), ev("env.set"));
            db.setWebhookSecrets("shop", List.of("whsec_one"), ev("webhook.set"));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Deployment d = deployment("shop");
                db.insertDeployment(d, files(i), List.of(), Map.of("BUILD", "n" + i));
                db.markStaged(d.id(), T0.plusSeconds(i), ev("deployment"));
                ids.add(d.id());
            }
            db.activate("shop", ids.get(0), ev("activate"));
            db.activate("shop", ids.get(1), ev("activate"));
            db.retire("shop", ids.get(0), ev("retire"));
            Deployment unfinished = deployment("shop");
            db.insertDeployment(unfinished, files(9));
            for (int i = 0; i < 300; i++) {
                db.appendEvent("blog", ev("note"));
            }

            long started = System.nanoTime();
            LastKnownGood.save(db, dir, emptySchema());
            System.out.printf("last-known-good: saved in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            Path copy = LastKnownGood.file(dir);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy))).isEqualTo("rw-------");
            assertThat(LastKnownGood.savedAt(dir)).isPresent();
            assertThat(Files.readString(copy, java.nio.charset.StandardCharsets.ISO_8859_1))
                    .as("secrets stay sealed").doesNotContain("s3cret", "whsec_one");

            try (SqliteStore read = LastKnownGood.open(dir)) {
                assertThat(read.sites()).isEqualTo(db.sites());
                for (String site : List.of("shop", "blog")) {
                    assertThat(read.site(site)).isEqualTo(db.site(site));
                    assertThat(read.deployments(site)).isEqualTo(db.deployments(site));
                    assertThat(read.events(site, 256)).isEqualTo(db.events(site, 256));
                    assertThat(read.env(site)).isEqualTo(db.env(site));
                }
                for (String id : ids.subList(1, ids.size())) {
                    assertThat(read.files(id)).as("a servable deployment's files").isEqualTo(db.files(id));
                    assertThat(read.deploymentEnv(id)).isEqualTo(db.deploymentEnv(id));
                }
                assertThat(read.files(ids.get(0))).as("a retired deployment's files are not kept").isEmpty();
                assertThat(read.deployment(ids.get(0))).as("but its metadata is (410 answers)")
                        .isEqualTo(db.deployment(ids.get(0)));
                assertThat(read.events("blog", 1000)).hasSize(LastKnownGood.EVENTS_PER_SITE);
                assertThat(read.rollbackTarget("shop")).isEqualTo(db.rollbackTarget("shop"));
                assertThat(read.site("shop").orElseThrow().webhookSecrets()).containsExactly("whsec_one");
            }
        }
    }

    @Test
    void aStandbyStoreReadsTheCopyRefusesWritesAndHandsOverToTheDatabase() {
        String url = Postgres.shared().createDatabase();
        try (PostgresStore db = PostgresStore.open(url, dir)) {
            db.createSite(site("shop", "shop.localhost"), ev("site.create"));
            LastKnownGood.save(db, dir, emptySchema());
            db.createSite(site("blog", "blog.localhost"), ev("site.create")); // after the copy
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        try (StandbyStore standby = StandbyStore.of(PostgresStore.unconnected(url, dir), dir)) {
            assertThat(standby.sites()).extracting(Site::name).containsExactly("shop");
            assertThatThrownBy(() -> standby.createSite(site("news", "news.localhost"), ev("site.create")))
                    .isInstanceOf(StoreFailure.class).hasMessageContaining("last-known-good");
            assertThatThrownBy(() -> standby.transaction(() -> standby.appendEvent("shop", ev("note"))))
                    .isInstanceOf(StoreFailure.class);
            standby.connect();
            assertThat(standby.connected()).isTrue();
            assertThat(standby.sites()).extracting(Site::name).containsExactlyInAnyOrder("shop", "blog");
            assertThat(standby.appendEvent("shop", ev("note")).seq()).isPositive();
        }
    }

    private byte[] emptySchema() throws java.io.IOException {
        return LastKnownGood.emptySchema(dir);
    }

    private static Site site(String name, String... hosts) {
        return new Site(name, List.of(hosts), List.of("/api/"), true, "index.html", Retention.DEFAULT,
                List.of(new HeaderRule("assets/**", Map.of("X-Frame-Options", "DENY"))), ClientSettings.DEFAULT,
                RuntimeConfig.EMPTY, List.of(), Optional.empty(), CheckSettings.DEFAULT,
                dev.skewgate.model.BackendDefaults.NONE, dev.skewgate.model.ResponseSettings.DEFAULT, Optional.empty(),
                1, T0);
    }

    private static Deployment deployment(String site) {
        return new Deployment(DeploymentIds.next(), site, DeploymentState.UPLOADING, T0, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), "msg", Optional.of("abc123"), "me", 2, 20,
                Optional.empty(), Optional.of(new Backend(List.of("http://127.0.0.1:9001"), "/api/health")));
    }

    private static List<ManifestEntry> files(int n) {
        String sha = String.format("%064x", n + 1);
        return List.of(new ManifestEntry("index.html", sha, 10, "text/html; charset=utf-8"),
                new ManifestEntry("assets/app-" + n + ".js", sha, 10, "text/javascript"));
    }

    private static EventDraft ev(String type) {
        return EventDraft.of(type, "me", T0, "");
    }
}
