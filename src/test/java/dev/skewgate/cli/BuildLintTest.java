package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which absolute URLs in a build are reported as baked-in backends, one row per case. */
class BuildLintTest {

    private static final List<String> SITE = List.of("shop.example.com", "*.shop.test");

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            fetch("https://api.example.com/v1/orders")                   | https://api.example.com           | an API baked in by VITE_API_URL
            const base="http://localhost:3000/api"                       | http://localhost:3000             | a dev server URL left in a build
            fetch('http://10.0.0.7:8080/graphql')                        | http://10.0.0.7:8080              | an internal address with a port
            createElementNS("http://www.w3.org/2000/svg","svg")          | -                                 | the SVG namespace is not a backend
            "https://react.dev/errors/"+e                                | -                                 | React's error decoder
            "https://reactjs.org/docs/error-decoder.html?invariant="     | -                                 | React 18's error decoder
            fetch("https://shop.example.com/api/cart")                   | -                                 | the site's own host
            fetch("https://eu.shop.test/api")                            | -                                 | covered by the site's wildcard
            fetch("https://a.b.shop.test/api")                           | https://a.b.shop.test             | a wildcard covers one label only
            /^https?:\\/\\/x/.test(u)                                    | -                                 | a regex, not a URL
            "http://x"                                                   | -                                 | a bare word after the scheme
            fetch("https://API.Example.com:443/x")                       | https://api.example.com:443       | case-folded, the port kept
            new URL(i,"http://localhost")                                | -                                 | React Router's URL-parsing base
            "https://reactrouter.com/start/framework/route-module"       | -                                 | React Router's docs
            """)
    void reportsOnlyOriginsThatPointAway(String text, String expected, String why) {
        List<String> found = BuildLint.origins(text, SITE);
        if (expected == null) {
            assertThat(found).as(why).isEmpty();
        } else {
            assertThat(found).as(why).containsExactly(expected);
        }
    }

    @org.junit.jupiter.api.Test
    void theWarningNamesEachOriginOnceWithTheRuntimeConfigAdvice() {
        String warning = BuildLint.warning(List.of(new BuildLint.Finding("https://api.example.com", "assets/index-x.js"),
                new BuildLint.Finding("http://localhost:3000", "index.html")), "shop");
        assertThat(warning).contains("https://api.example.com  (in assets/index-x.js)", "http://localhost:3000",
                "skewgate config set shop API_BASE_URL=https://api.example.com", "Skewgate.config.API_BASE_URL",
                "--quiet-lint");
        assertThat(BuildLint.warning(List.of(), "shop")).isEmpty();
    }
}
