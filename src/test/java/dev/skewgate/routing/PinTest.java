package dev.skewgate.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pin precedence: header, then query, then cookie; the cookie never pins a navigation. */
class PinTest {

    @ParameterizedTest(name = "{6}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            dpl_H | _skewgate=dpl_Q | skewgate_dpl=dpl_C | false | dpl_H | HEADER | header wins over query and cookie
            -     | _skewgate=dpl_Q | skewgate_dpl=dpl_C | false | dpl_Q | QUERY  | query wins over cookie
            -     | a=1&_skewgate=dpl_Q&b=2 | -          | false | dpl_Q | QUERY  | query among other parameters
            -     | -               | a=1; skewgate_dpl=dpl_C; b=2 | false | dpl_C | COOKIE | cookie among other cookies
            -     | -               | skewgate_dpl=dpl_C | true  | -     | NONE   | cookie ignored for a navigation
            -     | _skewgate=dpl_Q | skewgate_dpl=dpl_C | true  | dpl_Q | QUERY  | preview link pins a navigation
            dpl_H | -               | -                  | true  | dpl_H | HEADER | header pins even a navigation
            -     | x_skewgate=dpl_Q | -                 | false | -     | NONE   | a parameter that only ends with the name
            -     | -               | xskewgate_dpl=dpl_C | false | -    | NONE   | a cookie that only ends with the name
            -     | -               | -                  | false | -     | NONE   | nothing: the active deployment
            """)
    void resolvesByPrecedence(String header, String query, String cookie, boolean navigation, String expected,
                              Pin.Source source, String why) {
        Pin pin = Pin.resolve(header, query, cookie, navigation);
        assertThat(pin.value().orElse(null)).as(why).isEqualTo(expected);
        assertThat(pin.source()).as(why).isEqualTo(source);
    }

    @ParameterizedTest(name = "{2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            navigate | -                           | Sec-Fetch-Mode navigate
            cors     | text/html                   | fetch() from script is not a navigation even if it accepts HTML
            -        | text/html,application/xhtml+xml | browser without Sec-Fetch headers asking for HTML
            """)
    void detectsNavigations(String mode, String accept, String why) {
        boolean expected = !"cors".equals(mode);
        assertThat(Pin.isNavigation(mode, accept)).as(why).isEqualTo(expected);
    }
}
