package dev.skewgate.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.WaitForSelectorState;
import dev.skewgate.testing.NodeTools;
import dev.skewgate.testing.Chromium;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * examples/vite-react, installed from its lockfile and built by the real Vite, on a real gateway in Chromium: the
 * hook hears new versions and config, an old tab's lazy route keeps loading, a retired one's leads to the prompt;
 * and the Vite plugin deploys and warns about build-time API URLs. examples/vite-vue and examples/plain hear the same
 * changes.
 */
class ExampleAppsTest {

    static final Path EXAMPLE = NodeTools.REPO.resolve("examples/vite-react");
    static final Path OUT = NodeTools.REPO.resolve("target/examples");
    static final String HOST = "shop.localhost";

    static Playwright playwright;
    static Browser browser;
    static Map<String, byte[]> v1Build;
    static Map<String, byte[]> v2Build;
    static String v1Output;

    @TempDir
    Path dir;
    TestGateway gw;
    BrowserContext context;

    @BeforeAll
    static void buildTwiceAndLaunch() {
        if (!Files.isExecutable(Chromium.EXECUTABLE)) {
            throw new IllegalStateException("these tests need Debian's Chromium: apt-get install chromium (.ci/run does)");
        }
        NodeTools.requireNode();
        NodeTools.buildSdk();
        NodeTools.installFromLockfile(EXAMPLE);
        // Two builds that differ in every chunk (the version is compiled in), as two releases of one app would.
        v1Output = viteBuild("v1", Map.of());
        v1Build = NodeTools.files(OUT.resolve("v1"));
        viteBuild("v2", Map.of());
        v2Build = NodeTools.files(OUT.resolve("v2"));
        playwright = Playwright.create();
        browser = Chromium.launch(playwright);
    }

    static String viteBuild(String version, Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("APP_VERSION", version);
        // Vite's own chunk names: about one lazy chunk in four has no digit in its hash, which the gateway must
        // serve to an old tab like any other (OldTabChunkBrowserTest pins that case down deterministically).
        return NodeTools.run(EXAMPLE, all, 120, "node", "node_modules/vite/bin/vite.js", "build",
                "--outDir", OUT.resolve(version).toString(), "--emptyOutDir");
    }

    @AfterAll
    static void close() {
        if (browser != null) {
            browser.close();
        }
        if (playwright != null) {
            playwright.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        gw = TestGateway.start(dir.resolve("gateway"));
        gw.createSite("shop", HOST);
        context = browser.newContext();
        context.addInitScript("window.addEventListener('vite:preloadError', () => { window.preloadErrors = (window.preloadErrors || 0) + 1; });");
    }

    @AfterEach
    void stop() {
        if (context != null) {
            context.close();
        }
        if (gw != null) {
            gw.close();
        }
    }

    private Page open(String version) {
        Page page = context.newPage();
        page.navigate("http://" + HOST + ":" + gw.edgePort() + "/");
        page.waitForFunction("v => document.getElementById('version') && document.getElementById('version').textContent === v",
                version);
        // Only the leader tab holds the stream; every tab knows once it has heard the shared stream's state.
        page.waitForFunction("() => window.Skewgate && window.Skewgate.connected");
        return page;
    }

    private static Page.WaitForSelectorOptions visibleWithin(double ms) {
        return new Page.WaitForSelectorOptions().setState(WaitForSelectorState.VISIBLE).setTimeout(ms);
    }

    private static String lazyChunk(Map<String, byte[]> build) {
        return build.keySet().stream().filter(p -> p.matches("assets/Reports-.*\\.js")).findFirst()
                .orElseThrow(() -> new AssertionError("no lazy route chunk in " + build.keySet()));
    }

    @Test
    void hookAndBannerShowANewDeployAndTheOldTabsLazyRouteStillLoads() {
        assertThat(lazyChunk(v1Build)).as("the second build really differs").isNotEqualTo(lazyChunk(v2Build));
        assertThat(v2Build).doesNotContainKey(lazyChunk(v1Build));
        String v1 = gw.deployBytes("shop", v1Build);
        gw.activate("shop", v1);
        Page page = open("v1");
        assertThat(page.textContent("#deployment")).as("boot deployment through the hook").isEqualTo(v1);
        assertThat(page.isVisible("#update")).isFalse();

        String v2 = gw.deployBytes("shop", v2Build);
        gw.activate("shop", v2);
        page.waitForSelector("#skewgate-banner", visibleWithin(3_000));
        page.waitForSelector("#update", visibleWithin(3_000)); // the hook re-rendered with updateAvailable
        assertThat(page.textContent("#deployment")).isEqualTo(v1);
        // A second tab on v2 moves the browser's pin cookie to v2: the old tab's chunk request, which no SDK can
        // stamp (a module import carries no custom header), must be found among the retained deployments.
        open("v2");

        // React Router navigates without a reload; the lazy chunk of v1 is fetched only now, after the switch.
        page.click("#reports-link");
        page.waitForSelector("#reports", visibleWithin(5_000));
        assertThat(page.textContent("#reports")).startsWith("Reports of v1");
        assertThat(page.evaluate("() => window.preloadErrors || 0")).isEqualTo(0);
    }

    @Test
    void twentyTabsOfTheExampleAllWorkHearTheChangeAndAreCounted() {
        String v1 = gw.deployBytes("shop", v1Build);
        gw.activate("shop", v1);
        List<Page> tabs = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            tabs.add(open("v1")); // each one loads and hears the shared stream (the 6th used to hang)
        }
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        int counted = 0;
        while (System.nanoTime() < deadline && counted != 20) {
            counted = gw.ok("GET", "/v1/sites/shop/status", null).body().path("openClients").path(v1).asInt();
            tabs.get(0).waitForTimeout(100); // the leader reports presence every 2 s
        }
        assertThat(counted).as("status counts every tab, not every stream").isEqualTo(20);
        gw.activate("shop", gw.deployBytes("shop", v2Build));
        for (Page tab : tabs) {
            tab.waitForSelector("#update", visibleWithin(3_000)); // every hook re-rendered with updateAvailable
        }
    }

    @Test
    void configChangeReRendersThroughTheHook() {
        String v1 = gw.deployBytes("shop", v1Build);
        gw.activate("shop", v1);
        Page page = open("v1");
        Object booted = page.evaluate("() => window.appBootedAt");
        assertThat(page.textContent("#api")).isEqualTo("-");
        gw.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api-2.example.com"));
        page.waitForFunction("() => document.getElementById('api').textContent === 'https://api-2.example.com'");
        page.click("#reports-link");
        page.waitForSelector("#reports", visibleWithin(5_000));
        assertThat(page.textContent("#reports")).isEqualTo("Reports of v1 from https://api-2.example.com");
        assertThat(page.evaluate("() => window.appBootedAt")).as("same page, not reloaded").isEqualTo(booted);
    }

    @Test
    void retiredDeploymentsLazyRouteFailingLeadsToTheRefreshPrompt() {
        String v1 = gw.deployBytes("shop", v1Build);
        gw.activate("shop", v1);
        Page page = open("v1");
        String v2 = gw.deployBytes("shop", v2Build);
        gw.activate("shop", v2);
        page.waitForSelector("#skewgate-banner", visibleWithin(3_000));
        page.click("#skewgate-banner button[aria-label='Dismiss']");
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1)); // v1's chunks are gone now

        page.click("#reports-link");
        page.waitForSelector("#route-error", visibleWithin(5_000));
        assertThat(page.evaluate("() => window.preloadErrors || 0")).as("Vite reported the failed import").isEqualTo(1);
        page.waitForSelector("#skewgate-banner", visibleWithin(5_000));
        assertThat(page.textContent("#skewgate-banner")).contains("please refresh");
        assertThat(page.getAttribute("#skewgate-banner", "role")).isEqualTo("alert");
        assertThat(page.textContent("#version")).as("the rest of the page still works").isEqualTo("v1");
        page.click("#skewgate-banner button:has-text('Refresh')");
        page.waitForFunction("() => document.getElementById('version') && document.getElementById('version').textContent === 'v2'");
        page.waitForSelector("#reports", visibleWithin(5_000));
        assertThat(page.textContent("#reports")).startsWith("Reports of v2");
    }

    @Test
    void withoutTheInjectedScriptTheBundledRuntimeStartsAndTheHookStillHearsChanges() {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("client", Map.of("injectSdk", false)));
        String v1 = gw.deployBytes("shop", v1Build);
        gw.activate("shop", v1);
        List<String> scripts = new java.util.concurrent.CopyOnWriteArrayList<>();
        context.onRequest(r -> scripts.add(r.url()));
        Page page = open("v1");
        assertThat(scripts).noneMatch(u -> u.contains("/_skewgate/client.js"));
        assertThat(page.textContent("#deployment")).isEqualTo(v1);
        gw.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api-3.example.com"));
        page.waitForFunction("() => document.getElementById('api').textContent === 'https://api-3.example.com'");
        String v2 = gw.deployBytes("shop", v2Build);
        gw.activate("shop", v2);
        page.waitForSelector("#update", visibleWithin(3_000));
    }

    @Test
    void vitePluginDeploysTheBuildItJustWrote() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cli = java + " -cp " + System.getProperty("java.class.path") + " dev.skewgate.app.Main";
        String out = viteBuild("v3", Map.of("SKEWGATE_DEPLOY", "1", "SKEWGATE_ACTIVATE", "1", "SKEWGATE_SITE", "shop",
                "SKEWGATE_CLI", cli, "SKEWGATE_ADMIN_URL", gw.adminUrl(), "SKEWGATE_TOKEN", gw.token()));
        Matcher id = Pattern.compile("activated (dpl_\\S+) on shop").matcher(out);
        assertThat(id.find()).as("the CLI's output:\n" + out).isTrue();
        assertThat(gw.ok("GET", "/v1/sites/shop", null).body().path("activeDeployment").asText())
                .isEqualTo(id.group(1));
        open("v3");
    }

    @Test
    void vitePluginWarnsAboutAnApiUrlBakedInFromAViteVariable() throws Exception {
        assertThat(v1Output).as("the example reads its API URL at runtime").doesNotContain("[plugin skewgate]");
        // A build that does what the seed incident did: the API URL from VITE_API_URL, compiled in.
        Path app = OUT.resolveSibling("examples-lint");
        Files.createDirectories(app);
        Files.writeString(app.resolve("index.html"),
                "<!doctype html><html><head></head><body><script type=\"module\" src=\"/main.js\"></script></body></html>");
        Files.writeString(app.resolve("main.js"), "fetch(import.meta.env.VITE_API_URL + '/orders');\n");
        Files.writeString(app.resolve("vite.config.mjs"), "import skewgate from '" + EXAMPLE.resolve(
                "node_modules/@skewgate/sdk/dist/vite.js").toUri() + "';\nexport default { plugins: [skewgate({ site: 'shop' })] };\n");
        String out = NodeTools.run(EXAMPLE, Map.of("VITE_API_URL", "https://api-1.example.com"), 120,
                "node", "node_modules/vite/bin/vite.js", "build", app.toString());
        assertThat(out).contains("[plugin skewgate] VITE_API_URL=https://api-1.example.com is baked into assets/index-",
                "Skewgate.config.API_URL", "skewgate config set shop API_URL=https://api-1.example.com",
                "/_skewgate/config.json");
    }

    @Test
    void vueComposableFollowsConfigAndUpdates() {
        Path vue = NodeTools.REPO.resolve("examples/vite-vue");
        NodeTools.installFromLockfile(vue);
        NodeTools.run(vue, Map.of("APP_VERSION", "vue-v1"), 120, "node", "node_modules/vite/bin/vite.js", "build",
                "--outDir", OUT.resolve("vue-v1").toString(), "--emptyOutDir");
        String v1 = gw.deployBytes("shop", NodeTools.files(OUT.resolve("vue-v1")));
        gw.activate("shop", v1);
        Page page = open("vue-v1");
        Object booted = page.evaluate("() => window.appBootedAt");
        assertThat(page.textContent("#deployment")).isEqualTo(v1);
        assertThat(page.textContent("#api")).isEqualTo("-");
        gw.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api-2.example.com"));
        page.waitForFunction("() => document.getElementById('api').textContent === 'https://api-2.example.com'");
        assertThat(page.isVisible("#update")).isFalse();
        String v2 = gw.deployBytes("shop", v2Build);
        gw.activate("shop", v2);
        page.waitForSelector("#update", visibleWithin(3_000));
        assertThat(page.evaluate("() => window.appBootedAt")).as("same page, not reloaded").isEqualTo(booted);
    }

    @Test
    void plainExampleHearsAConfigChangeWithoutABundler() throws Exception {
        Map<String, byte[]> plain = NodeTools.files(NodeTools.REPO.resolve("examples/plain"));
        String id = gw.deployBytes("shop", plain);
        gw.activate("shop", id);
        Page page = context.newPage();
        page.navigate("http://" + HOST + ":" + gw.edgePort() + "/");
        page.waitForFunction("id => document.getElementById('deployment').textContent === id", id);
        page.waitForFunction("() => window.Skewgate._stream && window.Skewgate._stream.readyState === 1");
        gw.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api-2.example.com"));
        page.waitForFunction("() => document.getElementById('api').textContent === 'https://api-2.example.com'");
        String v2 = gw.deployBytes("shop", Map.of("index.html", "<!doctype html><title>v2</title>".getBytes()));
        gw.activate("shop", v2);
        page.waitForSelector("#update", visibleWithin(3_000));
    }
}
