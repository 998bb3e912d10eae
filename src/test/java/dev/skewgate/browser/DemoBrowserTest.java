package dev.skewgate.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.WaitForSelectorState;
import dev.skewgate.config.ServeSettings;
import dev.skewgate.app.Gateway;
import dev.skewgate.demo.Demo;
import dev.skewgate.testing.Chromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's script, followed in real Chromium: an old tab keeps its own API, a new tab gets the new one, retirement is loud. */
class DemoBrowserTest {

    @TempDir
    Path dir;

    @Test
    void oldTabKeepsItsBackendNewTabGetsTheNewOneAndRetirementPromptsARefresh() throws Exception {
        try (Gateway gateway = Gateway.start(ServeSettings.of(0, 0, dir));
             Demo demo = Demo.start(gateway.control(), gateway.edgePort(), gateway.adminPort(), dir);
             Playwright playwright = Playwright.create();
             Browser browser = Chromium.launch(playwright);
             BrowserContext context = browser.newContext()) {
            String url = "http://" + Demo.HOST + ":" + gateway.edgePort() + "/";
            Page tabA = context.newPage();
            tabA.navigate(url);
            tabA.click("#call");
            tabA.waitForFunction("() => document.getElementById('answer').textContent.startsWith('Hello from API v1')");
            tabA.waitForFunction("() => window.Skewgate && Skewgate.connected");

            gateway.control().lifecycle().activate(Demo.SITE, demo.v2(), Optional.empty(), "test");
            tabA.waitForSelector("#skewgate-banner", new Page.WaitForSelectorOptions().setState(WaitForSelectorState.VISIBLE));
            tabA.click("#call");
            tabA.waitForFunction("() => document.querySelectorAll('#log li').length === 2");
            assertThat(tabA.textContent("#answer")).as("the old tab still reaches API v1").startsWith("Hello from API v1")
                    .contains(demo.v1());

            Page tabB = context.newPage();
            tabB.navigate(url);
            assertThat(tabB.textContent("#version")).isEqualTo("frontend v2");
            tabB.click("#call");
            tabB.waitForFunction("() => document.getElementById('answer').textContent.startsWith('Hello from API v2')");
            Files.createDirectories(Path.of("target", "screenshots"));
            tabA.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target", "screenshots", "demo-old-tab.png")));

            gateway.control().lifecycle().retire(Demo.SITE, demo.v1(), Optional.empty(), "test");
            tabA.click("#call");
            tabA.waitForFunction("() => document.getElementById('answer').textContent.startsWith('410 Gone')");
            tabA.waitForFunction("() => (document.getElementById('skewgate-banner') || {}).textContent"
                    + " && document.getElementById('skewgate-banner').textContent.includes('refresh')");
            tabA.screenshot(new Page.ScreenshotOptions().setPath(Path.of("target", "screenshots", "demo-retired.png")));
            tabA.click("#skewgate-banner button:has-text('Refresh')");
            tabA.waitForFunction("() => document.getElementById('version').textContent === 'frontend v2'");
        }
    }
}
