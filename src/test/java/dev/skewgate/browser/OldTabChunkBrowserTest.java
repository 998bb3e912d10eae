package dev.skewgate.browser;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import dev.skewgate.testing.Chromium;
import dev.skewgate.testing.TestGateway;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An old tab lazy-loads a chunk whose hash has no digit after a second tab loaded the new version (so the shared
 * cookie names the new deployment): the chunk must still come, from the old deployment. Wave 1 answered 404 here,
 * because it guessed from the name which files were content-hashed.
 */
class OldTabChunkBrowserTest {

    static final String HOST = "shop.localhost";

    @TempDir
    Path dir;

    /** A build whose entry script lazy-imports {@code assets/<lazy>.js}, as Vite emits for {@code import()}. */
    static Map<String, String> build(String version, String entry, String lazy) {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("index.html", "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + version + "</title>"
                + "<script type=\"module\" src=\"/assets/" + entry + ".js\"></script></head><body>"
                + "<h1 id=\"version\">" + version + "</h1><p id=\"lazy\"></p></body></html>");
        files.put("assets/" + entry + ".js", "window.loadLazy = () => import('./" + lazy + ".js')"
                + ".then(m => { document.getElementById('lazy').textContent = m.default; },"
                + " () => { document.getElementById('lazy').textContent = 'failed'; });\n");
        files.put("assets/" + lazy + ".js", "export default 'lazy " + version + "';\n");
        return files;
    }

    @Test
    void oldTabLoadsItsDigitlessLazyChunkAfterAnotherTabTookTheCookie() throws Exception {
        try (TestGateway gw = TestGateway.start(dir); Playwright pw = Playwright.create()) {
            gw.createSite("shop", HOST);
            String v1 = gw.deploy("shop", build("v1", "index-DkQmTxZa", "Settings-AbCdEfGh"));
            gw.activate("shop", v1);
            Browser browser = Chromium.launch(pw);
            BrowserContext context = browser.newContext();
            String url = "http://" + HOST + ":" + gw.edgePort() + "/";

            Page oldTab = context.newPage();
            oldTab.navigate(url);
            oldTab.waitForFunction("() => typeof window.loadLazy === 'function'");

            gw.activate("shop", gw.deploy("shop", build("v2", "index-PqRsTuVw", "Settings-HgFeDcBa")));
            Page newTab = context.newPage();
            newTab.navigate(url);
            assertThat(newTab.textContent("#version")).isEqualTo("v2");
            assertThat(context.cookies().stream().filter(c -> c.name.equals("skewgate_dpl")).findFirst().orElseThrow()
                    .value).as("the shared cookie now names v2").isNotEqualTo(v1);

            oldTab.evaluate("() => window.loadLazy()");
            oldTab.waitForFunction("() => document.getElementById('lazy').textContent !== ''");
            assertThat(oldTab.textContent("#lazy")).isEqualTo("lazy v1");
            browser.close();
        }
    }
}
