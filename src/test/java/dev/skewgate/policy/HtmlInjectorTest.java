package dev.skewgate.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Where the gateway's tags land in an HTML document, one row per document shape. */
class HtmlInjectorTest {

    @ParameterizedTest(name = "{2}")
    @CsvSource(delimiter = '|', textBlock = """
            <html><head><title>x</title></head></html>        | <html><head><T><title>x</title></head></html>        | right after <head>
            <HTML><HEAD lang=en><title>x</title></HEAD></HTML> | <HTML><HEAD lang=en><T><title>x</title></HEAD></HTML> | upper case with attributes
            <html><header>h</header><body>b</body></html>     | <html><header>h</header><T><body>b</body></html>     | <header> is not <head>
            <html><body>b</body></html>                       | <html><T><body>b</body></html>                       | before <body> when there is no head
            plain text                                        | <T>plain text                                        | at the start as a last resort
            """)
    void injectsAtTheRightPlace(String html, String expected, String why) {
        byte[] out = HtmlInjector.inject(html.getBytes(StandardCharsets.UTF_8), List.of("<T>"));
        assertThat(new String(out, StandardCharsets.UTF_8)).as(why).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            dpl_1                 | <meta name="skewgate-deployment" content="dpl_1">
            a"><script>x</script> | <meta name="skewgate-deployment" content="a&quot;&gt;&lt;script&gt;x&lt;/script&gt;">
            """)
    void escapesMetaContent(String value, String expected) {
        assertThat(HtmlInjector.meta("skewgate-deployment", value)).isEqualTo(expected);
    }
}
