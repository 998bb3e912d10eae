package dev.skewgate.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.WaitForSelectorState;
import dev.skewgate.testing.Chromium;
import dev.skewgate.testing.TestCerts;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chromium over HTTPS: the page, its chunk and the SDK's event stream all go over one HTTP/2 connection, and a switch
 * still reaches the open tab (the six-connection limit of HTTP/1.1 does not apply).
 */
class Http2BrowserTest {

    @TempDir
    Path dir;

    @Test
    void aTabOverHttp2LoadsEverythingOnH2AndHearsOfTheNextVersion() throws Exception {
        TestCerts ca = TestCerts.ca(dir.resolve("certs"));
        TestCerts.Leaf leaf = ca.leaf("shop", "ec", 2, "shop.test");
        try (TestGateway gw = TestGateway.start(dir.resolve("data"), s -> s.withHttps(0))) {
            gw.createSite("shop", "shop.test");
            gw.ok("POST", "/v1/certificates", Map.of("host", "shop.test", "certFile", leaf.cert().toString(),
                    "keyFile", leaf.key().toString()));
            gw.activate("shop", gw.deploy("shop", page("v1")));
            int port = gw.gateway().httpsPort();
            try (Playwright playwright = Playwright.create();
                 Browser browser = Chromium.launch(playwright, "--host-resolver-rules=MAP shop.test 127.0.0.1",
                         "--ignore-certificate-errors");
                 BrowserContext context = browser.newContext()) {
                Page tab = context.newPage();
                tab.navigate("https://shop.test:" + port + "/");
                tab.waitForFunction("() => window.Skewgate && Skewgate.connected");
                Object protocols = tab.evaluate("() => [performance.getEntriesByType('navigation')[0].nextHopProtocol]"
                        + ".concat(performance.getEntriesByType('resource').map(r => r.nextHopProtocol))");
                assertThat(protocols.toString()).as("every request of the tab on HTTP/2").contains("h2")
                        .doesNotContain("http/1.1");
                gw.activate("shop", gw.deploy("shop", page("v2")));
                tab.waitForSelector("#skewgate-banner", new Page.WaitForSelectorOptions()
                        .setState(WaitForSelectorState.VISIBLE));
            }
        }
    }

    private static Map<String, String> page(String version) {
        return Map.of("index.html", "<!doctype html><html><head><title>" + version + "</title></head><body><p>"
                + version + "</p><script type=\"module\" src=\"/assets/app-" + version + "a1b2c3.js\"></script>"
                + "</body></html>", "assets/app-" + version + "a1b2c3.js", "console.log('" + version + "');");
    }
}
