package dev.skewgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skewgate.model.Backend;
import dev.skewgate.model.CheckSettings;
import dev.skewgate.model.ClientSettings;
import dev.skewgate.model.ConflictException;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.PreconditionFailedException;
import dev.skewgate.model.Retention;
import dev.skewgate.model.RuntimeConfig;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link Store} implementation must have. Subclasses only supply the instance (and, for
 * durability, a way to reopen it).
 */
public abstract class StoreContractTest {

    protected Store store;
    private final Instant t0 = Instant.parse("2026-11-22T10:00:00Z");

    /** A fresh, empty store. */
    protected abstract Store create();

    /** The same store closed and opened again (what a restart does). */
    protected abstract Store reopen(Store current);

    @BeforeEach
    void open() {
        store = create();
    }

    @AfterEach
    void close() {
        store.close();
    }

    protected Site site(String name, String... hosts) {
        return new Site(name, List.of(hosts), List.of("/api/"), true, "index.html", Retention.DEFAULT,
                List.of(new HeaderRule("assets/**", Map.of("X-Frame-Options", "DENY"))), ClientSettings.DEFAULT,
                RuntimeConfig.EMPTY, List.of(), Optional.empty(), CheckSettings.DEFAULT,
                dev.skewgate.model.BackendDefaults.NONE, dev.skewgate.model.ResponseSettings.DEFAULT, Optional.empty(), 1, t0);
    }

    protected Deployment uploading(String site) {
        return new Deployment(DeploymentIds.next(), site, DeploymentState.UPLOADING, t0, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), "msg", Optional.of("abc123"), "me", 1, 10,
                Optional.empty(), Optional.of(new Backend(List.of("http://127.0.0.1:9001"), "/api/health")));
    }

    private EventDraft ev(String type) {
        return EventDraft.of(type, "me", t0, "");
    }

    private static List<ManifestEntry> files(String sha) {
        return List.of(new ManifestEntry("index.html", sha, 10, "text/html; charset=utf-8"));
    }

    @Test
    void siteRoundTripsWithHostsAndSettings() {
        store.createSite(site("shop", "shop.localhost", "*.example.com"), ev("site.create"));
        Site read = store.site("shop").orElseThrow();
        assertThat(read.hosts()).as("in the order given").containsExactly("shop.localhost", "*.example.com");
        assertThat(read.headerRules()).containsExactly(new HeaderRule("assets/**", Map.of("X-Frame-Options", "DENY")));
        assertThat(read.retention()).isEqualTo(Retention.DEFAULT);
        assertThat(store.sites()).extracting(Site::name).containsExactly("shop");
    }

    @Test
    void aWebhookDeliveryIsAppendedOnceEvenAcrossAReopenUntilItExpires() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        Instant expires = t0.plusSeconds(300);
        assertThat(store.appendEventOnce("shop", "d1", expires, t0, ev("notify"))).isPresent();
        assertThat(store.appendEventOnce("shop", "d1", expires, t0.plusSeconds(1), ev("notify"))).isEmpty();
        store = reopen(store);
        assertThat(store.appendEventOnce("shop", "d1", expires, t0.plusSeconds(299), ev("notify")))
                .as("a replay after a restart, inside the window").isEmpty();
        assertThat(store.appendEventOnce("shop", "d2", expires, t0.plusSeconds(299), ev("notify"))).isPresent();
        assertThat(store.appendEventOnce("shop", "d1", t0.plusSeconds(700), t0.plusSeconds(301), ev("notify")))
                .as("forgotten once expired").isPresent();
        assertThat(store.events("shop", 10)).filteredOn(e -> e.type().equals("notify")).hasSize(3);
    }

    @Test
    void theServerEnvIsRevisionedReadBackAfterAReopenAndEachChangeAudited() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        assertThat(store.env("shop")).isEqualTo(dev.skewgate.model.EnvEntries.EMPTY);
        store.setEnv("shop", Map.of("A", "1", "B", "two"), Set.of(), EventDraft.of("env.set", "me", t0, "set A, B"));
        store.setEnv("shop", Map.of("A", "one"), Set.of("B", "NEVER_SET"),
                EventDraft.of("env.set", "me", t0, "set A; unset B"));
        long siteRevision = store.site("shop").orElseThrow().revision();
        store = reopen(store);
        var env = store.env("shop");
        assertThat(env.revision()).isEqualTo(2);
        assertThat(env.values()).containsExactly(Map.entry("A", "one"));
        assertThat(store.site("shop").orElseThrow().revision()).as("the env is not a site setting")
                .isEqualTo(siteRevision);
        assertThat(store.events("shop", 10)).extracting(SiteEvent::type).startsWith("env.set", "env.set");
        assertThatThrownBy(() -> store.env("nope")).isInstanceOf(dev.skewgate.model.NotFoundException.class);

        store.deleteSite("shop", ev("site.delete"));
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        assertThat(store.env("shop").values()).as("a revived site does not inherit the deleted one's secrets")
                .isEmpty();
    }

    @Test
    void callsInsideATransactionCommitTogetherAndNothingIsKeptWhenItsWorkThrows() {
        store.createSite(site("shop", "shop.localhost"), EventDraft.of("site.create", "t", t0, ""));
        store.transaction(() -> {
            store.setConfig("shop", "{\"a\":1}", EventDraft.of("config", "t", t0, ""));
            return store.appendEvent("shop", EventDraft.of("note", "t", t0, "inside"));
        });
        assertThat(store.site("shop").orElseThrow().config().json()).isEqualTo("{\"a\":1}");
        assertThat(store.events("shop", 10)).hasSize(3);

        assertThatThrownBy(() -> store.transaction(() -> {
            store.setConfig("shop", "{\"a\":2}", EventDraft.of("config", "t", t0, ""));
            store.transaction(() -> store.appendEvent("shop", EventDraft.of("note", "t", t0, "nested")));
            throw new IllegalStateException("the snapshot could not be built");
        })).hasMessageContaining("snapshot");
        assertThat(store.site("shop").orElseThrow().config().json()).as("rolled back").isEqualTo("{\"a\":1}");
        assertThat(store.events("shop", 10)).as("the nested call joined the rolled-back transaction").hasSize(3);

        store.appendEvent("shop", EventDraft.of("note", "t", t0, "after"));
        assertThat(store.events("shop", 10)).as("the store works on after a rollback").hasSize(4);
    }

    @Test
    void hostBelongsToOneSiteOnly() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        assertThatThrownBy(() -> store.createSite(site("other", "shop.localhost"), ev("site.create")))
                .isInstanceOf(ConflictException.class).hasMessageContaining("shop.localhost");
        assertThat(store.site("other")).isEmpty();
    }

    @Test
    void staleRevisionIsRefusedAndChangesNothing() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        Site updated = store.updateSite(site("shop", "shop.localhost", "www.shop.test"), 1, ev("site.update"));
        assertThat(updated.revision()).isEqualTo(2);
        assertThatThrownBy(() -> store.updateSite(site("shop", "evil.test"), 1, ev("site.update")))
                .isInstanceOf(PreconditionFailedException.class);
        assertThat(store.site("shop").orElseThrow().hosts()).containsExactlyInAnyOrder("shop.localhost", "www.shop.test");
    }

    @Test
    void activationMovesThePointerAndDemotesTheOldOneInOneStep() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        Deployment a = uploading("shop");
        Deployment b = uploading("shop");
        store.insertDeployment(a, files("1".repeat(64)));
        store.insertDeployment(b, files("2".repeat(64)));
        store.markStaged(a.id(), t0, ev("deploy"));
        store.markStaged(b.id(), t0, ev("deploy"));
        store.activate("shop", a.id(), EventDraft.of("activate", "me", t0, ""));
        SiteEvent e = store.activate("shop", b.id(), EventDraft.of("activate", "me", t0.plusSeconds(1), ""));
        assertThat(e.previous()).contains(a.id());
        assertThat(store.site("shop").orElseThrow().activeDeployment()).contains(b.id());
        assertThat(store.deployment(a.id()).orElseThrow().state()).isEqualTo(DeploymentState.PREVIOUS);
        assertThat(store.deployment(a.id()).orElseThrow().demotedAt()).contains(t0.plusSeconds(1));
        assertThat(store.deployment(b.id()).orElseThrow().state()).isEqualTo(DeploymentState.ACTIVE);
    }

    @Test
    void failedActivationLeavesEverythingAsItWas() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        Deployment a = uploading("shop");
        Deployment pending = uploading("shop");
        store.insertDeployment(a, files("1".repeat(64)));
        store.insertDeployment(pending, files("2".repeat(64)));
        store.markStaged(a.id(), t0, ev("deploy"));
        store.activate("shop", a.id(), EventDraft.of("activate", "me", t0, ""));
        assertThatThrownBy(() -> store.activate("shop", pending.id(), EventDraft.of("activate", "me", t0, "")))
                .isInstanceOf(ConflictException.class);
        assertThat(store.site("shop").orElseThrow().activeDeployment()).contains(a.id());
        assertThat(store.deployment(a.id()).orElseThrow().state()).isEqualTo(DeploymentState.ACTIVE);
        assertThat(store.events("shop", 10)).extracting(SiteEvent::type).containsExactly("activate", "deploy", "site.create");
    }

    @Test
    void eventsAreNumberedPerSite() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        store.createSite(site("blog", "blog.localhost"), ev("site.create"));
        store.appendEvent("shop", ev("x"));
        store.appendEvent("shop", ev("y"));
        SiteEvent blog = store.appendEvent("blog", ev("z"));
        assertThat(blog.seq()).isEqualTo(2);
        assertThat(store.events("shop", 10)).extracting(SiteEvent::seq).containsExactly(3L, 2L, 1L);
    }

    @Test
    void rollbackTargetFollowsEventOrderNotTheClock() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        Deployment a = uploading("shop");
        Deployment b = uploading("shop");
        Deployment c = uploading("shop");
        for (Deployment d : List.of(a, b, c)) {
            store.insertDeployment(d, files("1".repeat(64)));
            store.markStaged(d.id(), t0, ev("deploy"));
        }
        // Same timestamp for every switch: only the event order can tell which was demoted last.
        store.activate("shop", c.id(), EventDraft.of("activate", "me", t0, ""));
        store.activate("shop", a.id(), EventDraft.of("activate", "me", t0, ""));
        store.activate("shop", b.id(), EventDraft.of("activate", "me", t0, ""));
        assertThat(store.rollbackTarget("shop")).map(Deployment::id).contains(a.id());
    }

    @Test
    void configChangesAreVersionedAndAudited() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        SiteEvent e = store.setConfig("shop", "{\"API\":\"https://api.test\"}", ev("config"));
        Site read = store.site("shop").orElseThrow();
        assertThat(read.config().revision()).isEqualTo(1);
        assertThat(read.config().json()).isEqualTo("{\"API\":\"https://api.test\"}");
        assertThat(e.type()).isEqualTo("config");
        store.setNotified("shop", e.seq(), 42);
        assertThat(store.events("shop", 1).get(0).notified()).isEqualTo(42);
        store.setNotified("shop", e.seq(), 3); // another node's tabs
        assertThat(store.events("shop", 1).get(0).notified()).isEqualTo(45);
    }

    @Test
    void purgeReleasesBlobsButKeepsTheDeploymentForAnswers() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        Deployment a = uploading("shop");
        store.insertDeployment(a, files("1".repeat(64)));
        store.markStaged(a.id(), t0, ev("deploy"));
        assertThat(store.referencedBlobs()).containsExactly("1".repeat(64));
        store.retire("shop", a.id(), ev("retire"));
        store.purge(a.id());
        assertThat(store.referencedBlobs()).isEmpty();
        assertThat(store.deployment(a.id()).orElseThrow().state()).isEqualTo(DeploymentState.PURGED);
        assertThat(store.deploymentsInStates(Set.of(DeploymentState.PURGED))).hasSize(1);
    }

    @Test
    void everythingSurvivesAReopen() {
        store.createSite(site("shop", "shop.localhost"), ev("site.create"));
        Deployment a = uploading("shop");
        store.insertDeployment(a, files("1".repeat(64)));
        store.markStaged(a.id(), t0, ev("deploy"));
        store.activate("shop", a.id(), EventDraft.of("activate", "me", t0, ""));
        store = reopen(store);
        assertThat(store.site("shop").orElseThrow().activeDeployment()).contains(a.id());
        assertThat(store.files(a.id())).hasSize(1);
        assertThat(store.deployment(a.id()).orElseThrow().backend()).map(Backend::upstreams).contains(List.of("http://127.0.0.1:9001"));
        assertThat(store.integrityOk()).isTrue();
    }

    @Test
    void pingAnswersWhileOpenAndFailsAsAStoreFailureOnceClosed() {
        store.ping();
        store.close();
        assertThatThrownBy(store::ping).isInstanceOf(StoreFailure.class);
    }
}
