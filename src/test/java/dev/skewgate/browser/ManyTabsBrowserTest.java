package dev.skewgate.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.skewgate.testing.TestBackend;
import dev.skewgate.testing.Chromium;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many tabs of one app in real Chromium: over HTTP/1.1 a browser keeps six connections per host, so the SDK holds one
 * event stream per browser profile (a leader tab, elected with Web Locks, relays over BroadcastChannel) and still
 * counts every tab, per version, in the site's status.
 */
class ManyTabsBrowserTest {

    static final String HOST = "shop.localhost";
    static final int TABS = 20;

    static Playwright playwright;
    static Browser browser;

    @TempDir
    Path dir;
    TestGateway gw;
    final List<TestBackend> backends = new ArrayList<>();
    final List<BrowserContext> contexts = new ArrayList<>();
    String v1;

    @BeforeAll
    static void launch() {
        playwright = Playwright.create();
        // Twenty tabs in the background must keep running their timers as a user's would in front.
        browser = Chromium.launch(playwright, "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows");
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
        gw = TestGateway.start(dir, s -> s.withProxyTimings(Duration.ofSeconds(2), Duration.ofMillis(300)));
        gw.createSite("shop", HOST);
        gw.ok("PATCH", "/v1/sites/shop", Map.of("checks", Map.of("readinessTimeout", "2s")));
        v1 = deploy("v1");
        gw.activate("shop", v1);
    }

    @AfterEach
    void stop() throws Exception {
        for (BrowserContext c : contexts) {
            c.close();
        }
        if (gw != null) {
            gw.close();
        }
        for (TestBackend b : backends) {
            b.close();
        }
    }

    /** A version of the app with its own API backend; the page calls the API as soon as it loads. */
    String deploy(String version) throws Exception {
        TestBackend api = TestBackend.start("api-" + version);
        backends.add(api);
        return gw.deployWithBackend("shop", Map.of(
                "index.html", "<!doctype html><html><head><meta charset=\"utf-8\"><title>Shop " + version + "</title>"
                        + "<script src=\"/assets/app-" + version + ".js\" defer></script></head><body>"
                        + "<h1 id=\"version\">" + version + "</h1><p id=\"api\">-</p></body></html>",
                "assets/app-" + version + ".js", ""
                        + "window.appBootedAt = Date.now();\n"
                        + "fetch('/api/version').then(r => r.json()).then(b => {\n"
                        + "  window.apiBackend = b.backend; document.getElementById('api').textContent = b.backend; });\n"),
                api.url());
    }

    BrowserContext newContext() {
        BrowserContext c = browser.newContext();
        contexts.add(c);
        return c;
    }

    Page open(BrowserContext context, String query) {
        Page page = context.newPage();
        page.navigate("http://" + HOST + ":" + gw.edgePort() + "/" + query);
        return page;
    }

    /** Waits until the page ran its script, got its API answer and hears the shared stream. */
    static void ready(Page page, String backend) {
        page.waitForFunction("b => window.apiBackend === b && window.Skewgate && Skewgate.connected", backend,
                new Page.WaitForFunctionOptions().setTimeout(15_000));
    }

    static Object leaders(List<Page> pages) {
        return pages.stream().filter(p -> Boolean.TRUE.equals(p.evaluate("() => Skewgate.leader"))).count();
    }

    @Test
    void twentyTabsShareOneStreamAndEveryTabHearsEveryActivationAcrossAHandover() throws Exception {
        BrowserContext context = newContext();
        AtomicInteger streams = new AtomicInteger();
        context.onRequest(r -> {
            if (r.url().contains("/_skewgate/events")) {
                streams.incrementAndGet();
            }
        });
        List<Page> pages = new ArrayList<>();
        for (int i = 0; i < TABS; i++) {
            pages.add(open(context, ""));
        }
        for (Page p : pages) {
            ready(p, "api-v1"); // before the shared stream, the 6th tab's own API call never finished
        }
        assertThat(streams.get()).as("event streams opened by 20 tabs").isEqualTo(1);
        assertThat(leaders(pages)).isEqualTo(1L);
        awaitCounts(Map.of(v1, TABS));

        String v2 = deploy("v2");
        long t0 = System.nanoTime();
        gw.activate("shop", v2);
        for (Page p : pages) {
            long left = 3_000 - (System.nanoTime() - t0) / 1_000_000;
            p.waitForFunction("v => Skewgate.latest === v && document.getElementById('skewgate-banner')", v2,
                    new Page.WaitForFunctionOptions().setTimeout(Math.max(1, left)));
        }
        assertThat((System.nanoTime() - t0) / 1_000_000).as("activation to the banner in all 20 tabs").isLessThan(3_000);
        assertThat(notified()).as("NOTIFIED counts tabs, not streams").isEqualTo(TABS);

        Page leader = pages.stream().filter(p -> Boolean.TRUE.equals(p.evaluate("() => Skewgate.leader"))).findFirst()
                .orElseThrow();
        pages.remove(leader);
        long closedAt = System.nanoTime();
        leader.close();
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (!leaders(pages).equals(1L) && System.nanoTime() < deadline) {
            pages.get(0).waitForTimeout(50);
        }
        assertThat(leaders(pages)).as("a new leader within 2 s").isEqualTo(1L);
        Page next = pages.stream().filter(p -> Boolean.TRUE.equals(p.evaluate("() => Skewgate.leader"))).findFirst()
                .orElseThrow();
        next.waitForFunction("() => Skewgate._stream.readyState === 1",
                null, new Page.WaitForFunctionOptions().setTimeout(2_000 - (System.nanoTime() - closedAt) / 1_000_000.0));
        assertThat(streams.get()).as("streams after one handover").isEqualTo(2);
        awaitCounts(Map.of(v1, TABS - 1));

        String v3 = deploy("v3");
        long t1 = System.nanoTime();
        gw.activate("shop", v3);
        for (Page p : pages) {
            long left = 3_000 - (System.nanoTime() - t1) / 1_000_000;
            p.waitForFunction("v => Skewgate.latest === v", v3, new Page.WaitForFunctionOptions().setTimeout(Math.max(1, left)));
        }
        assertThat(notified()).isEqualTo(TABS - 1);
        for (Page p : pages) {
            assertThat(p.evaluate("() => fetch('/api/version').then(r => r.json()).then(b => b.backend)"))
                    .as("every old tab still reaches its own backend").isEqualTo("api-v1");
        }
    }

    @Test
    void statusCountsTheOpenTabsOfEachVersionAcrossTwoBrowserProfiles() throws Exception {
        BrowserContext a = newContext();
        BrowserContext b = newContext();
        List<Page> onV1 = new ArrayList<>();
        List<Page> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            onV1.add(open(i < 6 ? a : b, ""));
        }
        String v2 = deploy("v2");
        gw.activate("shop", v2);
        List<Page> onV2 = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            onV2.add(open(i < 3 ? a : b, ""));
        }
        String v3 = deploy("v3");
        gw.activate("shop", v3);
        List<Page> onV3 = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            onV3.add(open(i < 2 ? a : b, ""));
        }
        // A tab opened on v1 while other tabs run newer versions stays pinned to v1's backend.
        Page late = open(b, "?_skewgate=" + v1);
        onV1.add(late);
        onV1.forEach(p -> ready(p, "api-v1"));
        onV2.forEach(p -> ready(p, "api-v2"));
        onV3.forEach(p -> ready(p, "api-v3"));
        assertThat(late.evaluate("() => [Skewgate.deployment, document.getElementById('version').textContent]"))
                .isEqualTo(List.of(v1, "v1"));
        all.addAll(onV1);
        all.addAll(onV2);
        all.addAll(onV3);
        assertThat(all).hasSize(TABS);
        awaitCounts(Map.of(v1, 11, v2, 6, v3, 3));

        // Close tabs in both profiles, the leaders among them: the counts follow within 5 s.
        List<Page> closing = new ArrayList<>();
        for (Page p : all) {
            if (Boolean.TRUE.equals(p.evaluate("() => Skewgate.leader"))) {
                closing.add(p);
            }
        }
        assertThat(closing).as("one leader per browser profile").hasSize(2);
        closing.add(onV1.get(1) == closing.get(0) || onV1.get(1) == closing.get(1) ? onV1.get(2) : onV1.get(1));
        closing.add(onV3.get(2) == closing.get(0) || onV3.get(2) == closing.get(1) ? onV3.get(1) : onV3.get(2));
        Map<String, Integer> expected = new TreeMap<>(Map.of(v1, 11, v2, 6, v3, 3));
        for (Page p : closing) {
            String boot = (String) p.evaluate("() => Skewgate.deployment");
            expected.merge(boot, -1, Integer::sum);
            p.close();
        }
        awaitCounts(expected);
    }

    @Test
    void foreignOrMalformedChannelMessagesAndASecondSdkAreIgnoredWithoutErrors() throws Exception {
        BrowserContext context = newContext();
        List<String> errors = new CopyOnWriteArrayList<>();
        AtomicInteger streams = new AtomicInteger();
        context.onRequest(r -> {
            if (r.url().contains("/_skewgate/events")) {
                streams.incrementAndGet();
            }
        });
        Page one = open(context, "");
        Page two = open(context, "");
        one.onPageError(errors::add);
        two.onPageError(errors::add);
        ready(one, "api-v1");
        ready(two, "api-v1");
        Page sender = Boolean.TRUE.equals(one.evaluate("() => Skewgate.leader")) ? two : one;
        sender.evaluate("() => { const c = new BroadcastChannel('skewgate/1 ' + location.host);"
                + " const ns = 'skewgate/1';"
                + " [null, 'text', 42, {}, {ns: 'another-app', type: 'deployment', data: '{\"deployment\":\"x\"}'},"
                + "  {ns, type: 'deployment', data: 'not json'}, {ns, type: 'deployment', data: '\"a string\"'},"
                + "  {ns, type: 'deployment', data: {deployment: 'dpl_object_not_text'}}, {ns, type: '__proto__', data: '{}'},"
                + "  {ns, type: 'constructor', data: '{}'}, {ns, type: 'hasOwnProperty', data: '{}'},"
                + "  {ns, type: 'brand-new-event', data: '{}'}, {ns, type: 'config', data: '{\"revision\":\"x\"}'}]"
                + " .forEach(m => c.postMessage(m)); c.close(); }");
        // A page that loads the SDK a second time gets the first one, and no second stream.
        sender.evaluate("() => new Promise(ok => { const s = document.createElement('script');"
                + " s.src = '/_skewgate/client.js'; s.onload = ok; document.documentElement.appendChild(s); })");
        String v2 = deploy("v2");
        gw.activate("shop", v2);
        one.waitForFunction("v => Skewgate.latest === v", v2);
        two.waitForFunction("v => Skewgate.latest === v", v2);
        assertThat(errors).isEmpty();
        assertThat(streams.get()).isEqualTo(1);
        assertThat(one.evaluate("() => Skewgate.updateAvailable && !Skewgate.retired")).isEqualTo(true);
    }

    @Test
    void withoutWebLocksEachTabFallsBackToPollingAndOpensNoStream() throws Exception {
        gw.ok("PATCH", "/v1/sites/shop", Map.of("client", Map.of("pollInterval", "5s")));
        BrowserContext context = newContext();
        context.addInitScript("Object.defineProperty(Navigator.prototype, 'locks', { get() { return undefined; } });");
        AtomicInteger streams = new AtomicInteger();
        context.onRequest(r -> {
            if (r.url().contains("/_skewgate/events")) {
                streams.incrementAndGet();
            }
        });
        List<String> errors = new CopyOnWriteArrayList<>();
        Page page = open(context, "");
        page.onPageError(errors::add);
        page.waitForFunction("() => window.apiBackend === 'api-v1'");
        String v2 = deploy("v2");
        gw.activate("shop", v2);
        page.waitForFunction("v => Skewgate.latest === v", v2, new Page.WaitForFunctionOptions().setTimeout(15_000));
        assertThat(streams.get()).isZero();
        assertThat(errors).isEmpty();
    }

    /**
     * The browser's own freezing could not be triggered here (CDP's Page.setWebLifecycleState fires no freeze event on
     * a visible headless page), so the page lifecycle events are dispatched as Chrome dispatches them.
     */
    @Test
    void aLeaderAboutToBeFrozenHandsTheStreamOverAndAsksForTheNewsWhenItResumes() throws Exception {
        BrowserContext context = newContext();
        Page one = open(context, "");
        ready(one, "api-v1");
        Page two = open(context, "");
        ready(two, "api-v1");
        assertThat(one.evaluate("() => Skewgate.leader")).as("the first tab leads").isEqualTo(true);
        one.evaluate("() => document.dispatchEvent(new Event('freeze'))");
        two.waitForFunction("() => Skewgate.leader && Skewgate._stream.readyState === 1", null,
                new Page.WaitForFunctionOptions().setTimeout(2_000));
        assertThat(one.evaluate("() => [Skewgate.leader, Skewgate._stream.readyState]")).isEqualTo(List.of(false, 2));

        String v2 = deploy("v2");
        gw.activate("shop", v2);
        two.waitForFunction("v => Skewgate.latest === v", v2, new Page.WaitForFunctionOptions().setTimeout(3_000));
        one.waitForResponse(r -> r.url().contains("/_skewgate/version.json"),
                () -> one.evaluate("() => document.dispatchEvent(new Event('resume'))"));
        one.waitForFunction("v => Skewgate.latest === v && document.getElementById('skewgate-banner')", v2,
                new Page.WaitForFunctionOptions().setTimeout(5_000));
        assertThat(one.evaluate("() => Skewgate.leader")).as("the resumed tab waits its turn").isEqualTo(false);
        two.close();
        one.waitForFunction("() => Skewgate.leader && Skewgate._stream.readyState === 1", null,
                new Page.WaitForFunctionOptions().setTimeout(2_000));
    }

    private void awaitCounts(Map<String, Integer> expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        Map<String, Integer> counts = Map.of();
        while (System.nanoTime() < deadline) {
            counts = counts();
            if (counts.equals(expected)) {
                return;
            }
            Thread.sleep(100);
        }
        assertThat(counts).as("open tabs per deployment, within 5 s").isEqualTo(expected);
    }

    private int notified() {
        return gw.ok("GET", "/v1/sites/shop/events?limit=1", null).body().path("events").get(0).path("notified").asInt();
    }

    private Map<String, Integer> counts() {
        JsonNode open = gw.ok("GET", "/v1/sites/shop/status", null).body().path("openClients");
        Map<String, Integer> out = new TreeMap<>();
        open.fields().forEachRemaining(e -> {
            if (e.getValue().asInt() > 0) {
                out.put(e.getKey(), e.getValue().asInt());
            }
        });
        return out;
    }
}
