package dev.skewgate.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.WaitForSelectorState;
import dev.skewgate.testing.Chromium;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The browser SDK in real Chromium (Debian's, driven by Playwright): an app that adds nothing but what the gateway
 * injects learns about new versions and new config, under a strict Content-Security-Policy.
 */
class BrowserSdkTest {

    static final String HOST = "shop.localhost";

    static Playwright playwright;
    static Browser browser;

    @TempDir
    Path dir;
    TestGateway gw;
    BrowserContext context;
    String v1;

    @BeforeAll
    static void launch() {
        playwright = Playwright.create();
        browser = Chromium.launch(playwright);
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
        gw = TestGateway.start(dir);
        gw.createSite("shop", HOST);
        // A strict policy: no inline script or style may run; the SDK must still work.
        gw.ok("PATCH", "/v1/sites/shop", Map.of("headerRules", List.of(Map.of("glob", "**.html", "headers",
                Map.of("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'")))));
        v1 = gw.deploy("shop", build("v1", "1a2b3c4d", true));
        gw.activate("shop", v1);
        context = browser.newContext();
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

    /** A tiny SPA: its version, a value from the runtime config, a form, and a lazily imported chunk. */
    static Map<String, String> build(String version, String hash, boolean withLazyChunk) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("index.html", "<!doctype html><html><head><meta charset=\"utf-8\"><title>Shop " + version + "</title>"
                + "<script src=\"/assets/app-" + hash + ".js\" defer></script></head><body>"
                + "<h1 id=\"version\">" + version + "</h1><p>API: <span id=\"api\">-</span></p>"
                + "<form><input id=\"name\" name=\"name\"></form><button id=\"lazy\">Load more</button>"
                + "<p id=\"lazy-status\"></p></body></html>");
        files.put("assets/app-" + hash + ".js", ""
                + "window.appBootedAt = window.appBootedAt || Date.now();\n"
                + "var api = document.getElementById('api');\n"
                + "api.textContent = Skewgate.config.API_BASE_URL || '-';\n"
                + "Skewgate.on('config', function (e) { api.textContent = e.config.API_BASE_URL || '-'; });\n"
                + "document.getElementById('lazy').addEventListener('click', function () {\n"
                + "  import('/assets/lazy-" + hash + ".js').then(function (m) {\n"
                + "    document.getElementById('lazy-status').textContent = m.default;\n"
                + "  }).catch(function (e) { document.getElementById('lazy-status').textContent = 'failed'; throw e; });\n"
                + "});\n");
        if (withLazyChunk) {
            files.put("assets/lazy-" + hash + ".js", "export default 'lazy " + version + "';\n");
        }
        files.put("data.json", "{\"version\":\"" + version + "\"}");
        return files;
    }

    private Page open() {
        Page page = context.newPage();
        page.navigate("http://" + HOST + ":" + gw.edgePort() + "/");
        page.waitForFunction("() => window.appBootedAt && window.Skewgate");
        return page;
    }

    private static void waitForStream(Page page) {
        page.waitForFunction("() => window.Skewgate && Skewgate.connected");
    }

    private static Page.WaitForSelectorOptions visibleWithin(double ms) {
        return new Page.WaitForSelectorOptions().setState(WaitForSelectorState.VISIBLE).setTimeout(ms);
    }

    @Test
    void bannerAppearsWithinTwoSecondsOfAnActivation() throws Exception {
        Page page = open();
        waitForStream(page);
        assertThat(page.evaluate("() => Skewgate.deployment")).isEqualTo(v1);
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", true));
        long t0 = System.nanoTime();
        gw.activate("shop", v2);
        page.waitForSelector("#skewgate-banner", visibleWithin(2_000));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("activation to visible banner").isLessThanOrEqualTo(2_000);
        assertThat(page.textContent("#skewgate-banner")).contains("A new version is available", "Refresh");
        assertThat(page.getAttribute("#skewgate-banner", "role")).isEqualTo("status");
        assertThat(page.textContent("#version")).as("no forced reload").isEqualTo("v1");
        Path shot = Path.of("target", "screenshots", "banner.png");
        Files.createDirectories(shot.getParent());
        page.screenshot(new Page.ScreenshotOptions().setPath(shot));
        page.click("#skewgate-banner button:has-text('Refresh')");
        page.waitForFunction("() => document.getElementById('version').textContent === 'v2'");
    }

    @Test
    void pollingFallbackFindsTheNewVersionWhenTheStreamIsBlocked() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("client", Map.of("pollInterval", "5s")));
        context.route("**/_skewgate/events**", route -> route.abort());
        Page page = open();
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", true));
        gw.activate("shop", v2);
        page.waitForSelector("#skewgate-banner", visibleWithin(15_000));
        assertThat(page.evaluate("() => Skewgate.latest")).isEqualTo(v2);
    }

    @Test
    void configChangeReachesTheOpenPageWithoutAReload() throws Exception {
        Page page = open();
        waitForStream(page);
        Object booted = page.evaluate("() => window.appBootedAt");
        assertThat(page.textContent("#api")).isEqualTo("-");
        gw.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://api-2.example.com"));
        page.waitForFunction("() => document.getElementById('api').textContent === 'https://api-2.example.com'");
        assertThat(page.evaluate("() => window.appBootedAt")).as("same page, not reloaded").isEqualTo(booted);
        assertThat(page.evaluate("() => Skewgate.config.API_BASE_URL")).isEqualTo("https://api-2.example.com");
    }

    @Test
    void failedLazyChunkAfterADeployLeadsToThePromptNotABrokenPage() throws Exception {
        Page page = open();
        waitForStream(page);
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", false));
        gw.activate("shop", v2);
        page.waitForSelector("#skewgate-banner", visibleWithin(5_000));
        page.click("#skewgate-banner button[aria-label='Dismiss']");
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1)); // v1's chunks are gone now
        page.click("#lazy");
        page.waitForFunction("() => document.getElementById('lazy-status').textContent === 'failed'");
        page.waitForSelector("#skewgate-banner", visibleWithin(5_000));
        assertThat(page.textContent("#skewgate-banner")).contains("refresh");
        assertThat(page.textContent("#version")).as("the page still works").isEqualTo("v1");
        page.click("#skewgate-banner button:has-text('Refresh')");
        page.waitForFunction("() => document.getElementById('version').textContent === 'v2'");
    }

    @Test
    void oldTabStillLoadsItsLazyChunkWhileTheOldVersionIsRetained() throws Exception {
        Page page = open();
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", true));
        gw.activate("shop", v2);
        page.click("#lazy");
        page.waitForFunction("() => document.getElementById('lazy-status').textContent === 'lazy v1'");
    }

    @Test
    void aReloadPicksUpTheNewVersionAndItsConfig() throws Exception {
        Page page = open();
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", true));
        gw.activate("shop", v2);
        gw.ok("PATCH", "/v1/sites/shop/config", Map.of("API_BASE_URL", "https://v2.example.com"));
        page.reload();
        page.waitForFunction("() => document.getElementById('version').textContent === 'v2'");
        assertThat(page.evaluate("() => Skewgate.deployment")).isEqualTo(v2);
        assertThat(page.textContent("#api")).isEqualTo("https://v2.example.com");
    }

    @Test
    void twoTabsOnTwoVersionsEachKeepTheirOwnDeploymentHeader() throws Exception {
        Page old = open();
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", true));
        gw.activate("shop", v2);
        Page fresh = open();
        assertThat(fresh.textContent("#version")).isEqualTo("v2");
        String probe = "() => fetch('/data.json').then(r => r.json().then(b => b.version + ' ' + r.headers.get('x-skewgate-deployment')))";
        assertThat(old.evaluate(probe)).isEqualTo("v1 " + v1);
        assertThat(fresh.evaluate(probe)).isEqualTo("v2 " + v2);
        String xhr = "() => new Promise(ok => { const x = new XMLHttpRequest(); x.open('GET', '/data.json');"
                + " x.onload = () => ok(JSON.parse(x.responseText).version); x.send(); })";
        assertThat(old.evaluate(xhr)).isEqualTo("v1");
    }

    @Test
    void reloadStrategiesNeverLoseAHalfFilledForm() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("client", Map.of("strategy", "reload-on-navigation")));
        Page clean = open();
        Page dirty = open();
        waitForStream(clean);
        waitForStream(dirty);
        dirty.fill("#name", "half-typed order note");
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", true));
        gw.activate("shop", v2);
        clean.waitForFunction("() => Skewgate.updateAvailable");
        dirty.waitForFunction("() => Skewgate.updateAvailable");
        clean.evaluate("() => history.pushState({}, '', '/orders')");
        clean.waitForFunction("() => document.getElementById('version') && document.getElementById('version').textContent === 'v2'");
        dirty.evaluate("() => history.pushState({}, '', '/orders')");
        dirty.waitForSelector("#skewgate-banner", visibleWithin(5_000));
        assertThat(dirty.inputValue("#name")).isEqualTo("half-typed order note");
        assertThat(dirty.textContent("#version")).isEqualTo("v1");
    }
    @Test
    void rollbackToTheTabsOwnVersionClearsThePromptAndTheNextChangeShowsItAgain() throws Exception {
        Page page = open();
        waitForStream(page);
        page.evaluate("() => { window.currentEvents = []; Skewgate.on('current', e => currentEvents.push(e.deployment)); }");
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", true));
        gw.activate("shop", v2);
        page.waitForSelector("#skewgate-banner", visibleWithin(5_000));
        assertThat(page.evaluate("() => Skewgate.updateAvailable")).isEqualTo(true);

        gw.ok("POST", "/v1/sites/shop/rollback", Map.of()); // build 1 is live again
        page.waitForSelector("#skewgate-banner", new Page.WaitForSelectorOptions()
                .setState(WaitForSelectorState.DETACHED).setTimeout(5_000));
        assertThat(page.evaluate("() => [Skewgate.updateAvailable, Skewgate.latest, currentEvents]"))
                .isEqualTo(List.of(false, v1, List.of(v1)));

        String v3 = gw.deploy("shop", build("v3", "9c0d1e2f", true));
        gw.activate("shop", v3);
        page.waitForSelector("#skewgate-banner", visibleWithin(5_000));
        assertThat(page.evaluate("() => [Skewgate.updateAvailable, Skewgate.latest]")).isEqualTo(List.of(true, v3));
    }

    @Test
    void aRetiredTabKeepsItsStrongPromptAfterAFailedLazyImport() throws Exception {
        Page page = open();
        waitForStream(page);
        String v2 = gw.deploy("shop", build("v2", "5e6f7a8b", false));
        gw.activate("shop", v2);
        page.waitForSelector("#skewgate-banner", visibleWithin(5_000));
        gw.ok("POST", "/v1/sites/shop/retire", Map.of("deployment", v1));
        page.waitForFunction("() => document.getElementById('skewgate-banner').textContent.includes('no longer current')");
        assertThat(page.evaluate("() => Skewgate.retired")).isEqualTo(true);

        // A failed import, then a look at version.json (which names v2 as live): neither may downgrade the prompt.
        page.click("#lazy");
        page.waitForFunction("() => document.getElementById('lazy-status').textContent === 'failed'");
        page.evaluate("() => Skewgate.check()");
        assertThat(page.textContent("#skewgate-banner")).contains("no longer current");
        assertThat(page.getAttribute("#skewgate-banner", "role")).isEqualTo("alert");
        assertThat(page.querySelector("#skewgate-banner button[aria-label='Dismiss']")).isNull();
        assertThat(page.evaluate("() => [Skewgate.retired, Skewgate.updateAvailable]")).isEqualTo(List.of(true, true));
    }
}
