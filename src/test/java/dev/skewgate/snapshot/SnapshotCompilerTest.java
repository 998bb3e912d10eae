package dev.skewgate.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.skewgate.model.Sha256;
import dev.skewgate.model.Site;
import dev.skewgate.policy.ContentTypes;
import dev.skewgate.routing.DeploymentRoute;
import dev.skewgate.routing.ServedFile;
import dev.skewgate.routing.SiteRoute;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.FileBlobStore;
import dev.skewgate.store.sqlite.SqliteStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot compiler's rules, on a real SQLite file and a real blob folder. */
class SnapshotCompilerTest {

    @TempDir
    Path dir;
    SqliteStore store;
    FileBlobStore blobs;
    Instant now = Instant.parse("2026-12-01T10:00:00Z");

    @BeforeEach
    void open() throws Exception {
        store = SqliteStore.open(dir.resolve("skewgate.db"));
        blobs = new FileBlobStore(dir.resolve("blobs"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private SnapshotCompiler compiler(long budget) {
        return new SnapshotCompiler(store, blobs, 1L << 20, budget, "/_skewgate/client.js?v=test");
    }

    private void site(String name, List<HeaderRule> rules) {
        store.createSite(new Site(name, List.of(name + ".localhost"), List.of("/api/"), true, "index.html",
                Retention.DEFAULT, rules, ClientSettings.DEFAULT, RuntimeConfig.EMPTY, List.of(), Optional.empty(),
                CheckSettings.DEFAULT, dev.skewgate.model.BackendDefaults.NONE, dev.skewgate.model.ResponseSettings.DEFAULT, Optional.empty(), 1, now), EventDraft.of("site.create", "test", now, ""));
    }

    /** A staged deployment of these files (path -> content), blobs written to the blob folder. */
    private String deploy(String site, Map<String, String> files) throws Exception {
        List<ManifestEntry> manifest = new ArrayList<>();
        for (Map.Entry<String, String> f : files.entrySet()) {
            byte[] bytes = f.getValue().getBytes(StandardCharsets.UTF_8);
            String sha = Sha256.hex(bytes);
            if (!blobs.has(sha)) {
                BlobStore.BlobUpload upload = blobs.open(sha, bytes.length);
                upload.write(bytes, 0, bytes.length);
                upload.commit();
            }
            manifest.add(new ManifestEntry(f.getKey(), sha, bytes.length, ContentTypes.forPath(f.getKey())));
        }
        now = now.plusSeconds(60);
        Deployment d = new Deployment(DeploymentIds.next(), site, DeploymentState.UPLOADING, now, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), "", Optional.empty(), "test", manifest.size(),
                0, Optional.empty(), Optional.empty());
        store.insertDeployment(d, manifest);
        store.markStaged(d.id(), now, EventDraft.about("deploy", d.id(), "test", now, ""));
        return d.id();
    }

    private void activate(String site, String id) {
        now = now.plusSeconds(60);
        store.activate(site, id, EventDraft.of("activate", "test", now, ""));
    }

    private static Map<String, String> files(String... pathsAndContents) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < pathsAndContents.length; i += 2) {
            out.put(pathsAndContents[i], pathsAndContents[i + 1]);
        }
        return out;
    }

    private SiteRoute compileAndAdopt(SnapshotCompiler compiler, String site) {
        SnapshotCompiler.SiteBuild build = compiler.compile(site);
        compiler.adopt(build);
        return build.route().orElseThrow();
    }

    @Test
    void aMissingChunkIsBorrowedFromTheNewestActivatedDeploymentThatHasItNeverFromAStagedOneOrAsHtml() throws Exception {
        site("shop", List.of());
        String v1 = deploy("shop", files("index.html", "<p>v1</p>", "assets/Lazy-AbCd.js", "v1 lazy",
                "assets/only-v1-x1y2.js", "v1 only", "about.html", "<p>about v1</p>"));
        String v2 = deploy("shop", files("index.html", "<p>v2</p>", "assets/Lazy-AbCd.js", "v2 lazy"));
        String v3 = deploy("shop", files("index.html", "<p>v3</p>"));
        String staged = deploy("shop", files("index.html", "<p>s</p>", "assets/preview-zz11.js", "preview"));
        activate("shop", v1);
        activate("shop", v2);
        activate("shop", v3);

        SiteRoute route = compileAndAdopt(compiler(64L << 20), "shop");

        assertThat(route.active().orElseThrow().id()).isEqualTo(v3);
        assertThat(route.retained("/assets/Lazy-AbCd.js").orElseThrow().deploymentId())
                .as("the newer activation claims a path first").isEqualTo(v2);
        assertThat(route.retained("/assets/only-v1-x1y2.js").orElseThrow().deploymentId()).isEqualTo(v1);
        assertThat(route.retained("/assets/preview-zz11.js")).as("a preview's files are never borrowed").isEmpty();
        assertThat(route.retained("/index.html")).as("entry points and pages are never borrowed").isEmpty();
        assertThat(route.retained("/about.html")).isEmpty();
        assertThat(route.servable()).containsKeys(v1, v2, v3, staged);
        assertThat(route.servable().get(staged).staged()).isTrue();
    }

    @Test
    void aHeaderRulesCacheControlWinsOverTheCachePolicyAndOtherHeadersAreAdded() throws Exception {
        site("shop", List.of(new HeaderRule("assets/**", Map.of("Cache-Control", "no-store", "X-Frame-Options", "DENY"))));
        String v1 = deploy("shop", files("index.html", "<p>v1</p>", "assets/app-3f9a1c2b.js", "x",
                "logo-3f9a1c2b.svg", "<svg/>"));
        activate("shop", v1);

        DeploymentRoute d = compileAndAdopt(compiler(64L << 20), "shop").active().orElseThrow();

        ServedFile ruled = d.files().get("/assets/app-3f9a1c2b.js");
        assertThat(ruled.cacheControl()).isEqualTo("no-store");
        assertThat(ruled.headers()).containsExactly(Map.entry("x-frame-options", "DENY"));
        assertThat(d.files().get("/logo-3f9a1c2b.svg").cacheControl()).as("outside the rule: the policy")
                .isEqualTo("public, max-age=31536000, immutable");
        assertThat(d.files().get("/index.html").cacheControl()).isEqualTo("no-cache");
    }

    @Test
    void theMemoryBudgetGoesToTheActiveDeploymentFirstAndTheRestIsServedFromDisk() throws Exception {
        site("shop", List.of());
        String old = deploy("shop", files("index.html", "<p>old</p>", "assets/a-1111.js", "o".repeat(600)));
        String live = deploy("shop", files("index.html", "<p>live</p>", "assets/b-2222.js", "l".repeat(600)));
        activate("shop", old);
        activate("shop", live);

        SiteRoute route = compileAndAdopt(compiler(1000), "shop");

        assertThat(route.servable().get(live).files().get("/assets/b-2222.js").bytes()).as("active first").isPresent();
        assertThat(route.servable().get(old).files().get("/assets/a-1111.js").bytes())
                .as("over the budget: from disk").isEmpty();
        assertThat(route.servable().get(old).files().get("/assets/a-1111.js").blob()).exists();
    }

    @Test
    void aDeploymentCompiledWhileTheBudgetWasFullGetsItFirstInARebalanceAfterItsActivation() throws Exception {
        site("shop", List.of());
        String old = deploy("shop", files("index.html", "<p>old</p>", "assets/a-1111.js", "o".repeat(600)));
        activate("shop", old);
        SnapshotCompiler compiler = compiler(1000);
        compileAndAdopt(compiler, "shop");
        String next = deploy("shop", files("index.html", "<p>new</p>", "assets/b-2222.js", "n".repeat(600)));
        SiteRoute staged = compileAndAdopt(compiler, "shop");
        assertThat(staged.servable().get(next).files().get("/assets/b-2222.js").bytes())
                .as("compiled while the active one held the budget").isEmpty();

        activate("shop", next);
        SnapshotCompiler.SiteBuild switched = compiler.compile("shop");
        compiler.adopt(switched);
        assertThat(switched.rebalance()).as("the switch itself reuses the routes as they are, and says so").isTrue();
        assertThat(switched.route().orElseThrow().servable().get(next).files()).isSameAs(staged.servable().get(next).files());
        SnapshotCompiler.SiteBuild rebalanced = compiler.rebalance("shop");
        compiler.adopt(rebalanced);
        SiteRoute route = rebalanced.route().orElseThrow();

        assertThat(route.servable().get(next).files().get("/assets/b-2222.js").bytes()).as("the live one first")
                .isPresent();
        assertThat(route.servable().get(old).files().get("/assets/a-1111.js").bytes()).isEmpty();
        assertThat(rebalanced.rebalance()).isFalse();
        activate("shop", old);
        SnapshotCompiler.SiteBuild back = compiler.compile("shop");
        compiler.adopt(back);
        assertThat(back.rebalance()).as("rolled back to a starved one").isTrue();
        compiler.adopt(compiler.rebalance("shop"));
        assertThat(compiler.compile("shop").route().orElseThrow().servable().get(old).files().get("/assets/a-1111.js")
                .bytes()).as("and back on rollback").isPresent();
    }

    @Test
    void htmlOverTheSizeCapIsServedAsBuiltWithoutInjectedTags() throws Exception {
        site("shop", List.of());
        String big = "<html><head></head><body>" + "x".repeat((int) SnapshotCompiler.MAX_INJECTED_HTML) + "</body></html>";
        String v1 = deploy("shop", files("index.html", "<html><head></head><body>small</body></html>", "big.html", big));
        activate("shop", v1);

        DeploymentRoute d = compileAndAdopt(compiler(64L << 20), "shop").active().orElseThrow();

        assertThat(d.files().get("/index.html").html()).isTrue();
        assertThat(new String(d.files().get("/index.html").bytes().orElseThrow().getBytes(), StandardCharsets.UTF_8))
                .contains("skewgate-deployment");
        assertThat(d.files().get("/big.html").html()).as("not read whole into memory to inject").isFalse();
        assertThat(d.files().get("/big.html").bytes()).isEmpty();
    }

    @Test
    void anActivationReusesEveryCompiledFileAndAConfigChangeRecompilesThem() throws Exception {
        site("shop", List.of());
        String v1 = deploy("shop", files("index.html", "<p>v1</p>", "assets/a-1111.js", "a"));
        String v2 = deploy("shop", files("index.html", "<p>v2</p>", "assets/b-2222.js", "b"));
        activate("shop", v1);
        SnapshotCompiler compiler = compiler(64L << 20);
        SiteRoute before = compileAndAdopt(compiler, "shop");

        activate("shop", v2);
        SiteRoute after = compileAndAdopt(compiler, "shop");

        assertThat(after.active().orElseThrow().id()).isEqualTo(v2);
        assertThat(after.servable().get(v2).files()).as("the staged route's files, as compiled")
                .isSameAs(before.servable().get(v2).files());
        assertThat(after.servable().get(v2).staged()).isFalse();
        assertThat(after.servable().get(v1).files()).isSameAs(before.servable().get(v1).files());

        store.setConfig("shop", "{\"flag\":true}", EventDraft.of("config", "test", now, ""));
        SiteRoute reconfigured = compileAndAdopt(compiler, "shop");
        assertThat(reconfigured.servable().get(v2).files()).isNotSameAs(after.servable().get(v2).files());
        assertThat(new String(reconfigured.active().orElseThrow().entryPoint().orElseThrow().bytes().orElseThrow()
                .getBytes(), StandardCharsets.UTF_8)).as("the new config is injected").contains("flag");
    }

    @Test
    void aBuildThatFailsThrowsAndKeepsNothingSoTheNextBuildSucceedsOnceTheBlobIsBack() throws Exception {
        site("shop", List.of());
        byte[] page = "<p>v1</p>".getBytes(StandardCharsets.UTF_8);
        String v1 = deploy("shop", files("index.html", "<p>v1</p>"));
        activate("shop", v1);
        SnapshotCompiler compiler = compiler(64L << 20);
        compileAndAdopt(compiler, "shop");
        java.nio.file.Files.delete(blobs.path(Sha256.hex(page)));

        store.setConfig("shop", "{\"a\":1}", EventDraft.of("config", "test", now, ""));
        assertThatThrownBy(() -> compiler.compile("shop")).hasMessageContaining("missing from the blob folder");

        BlobStore.BlobUpload upload = blobs.open(Sha256.hex(page), page.length);
        upload.write(page, 0, page.length);
        upload.commit();
        assertThat(new String(compileAndAdopt(compiler, "shop").active().orElseThrow().entryPoint().orElseThrow()
                .bytes().orElseThrow().getBytes(), StandardCharsets.UTF_8)).contains("&quot;a&quot;:1");
    }

    @Test
    void aDeploymentPreparedAheadOfItsChangeIsWhatTheChangesBuildServes() throws Exception {
        site("shop", List.of());
        String v1 = deploy("shop", files("index.html", "<p>v1</p>"));
        activate("shop", v1);
        SnapshotCompiler compiler = compiler(64L << 20);
        compileAndAdopt(compiler, "shop");
        String v2 = deploy("shop", files("index.html", "<p>v2</p>", "assets/b-2222.js", "b"));
        Deployment staged = store.deployment(v2).orElseThrow();

        compiler.prepare("shop", staged, store.files(v2));
        java.nio.file.Files.delete(blobs.path(Sha256.hex("<p>v2</p>".getBytes(StandardCharsets.UTF_8))));
        SiteRoute route = compileAndAdopt(compiler, "shop");

        assertThat(new String(route.servable().get(v2).entryPoint().orElseThrow().bytes().orElseThrow().getBytes(),
                StandardCharsets.UTF_8)).as("compiled ahead: the build did not read the blob again").contains("v2");
        assertThat(route.servable().get(v2).files().get("/index.html").lastModified())
                .isEqualTo(java.time.format.DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'",
                        java.util.Locale.US).format(staged.finalizedAt().orElseThrow().atOffset(java.time.ZoneOffset.UTC)));
    }

    @Test
    void aSiteThatIsGoneBuildsToNoRoute() {
        assertThat(compiler(1000).compile("nope").route()).isEmpty();
    }
}
