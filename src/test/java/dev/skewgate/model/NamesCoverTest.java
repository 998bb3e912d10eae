package dev.skewgate.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which concrete host a configured host name covers: exact, or a wildcard for exactly one more label. */
class NamesCoverTest {

    @ParameterizedTest(name = "{0} covers {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            shop.example.com  | shop.example.com   | true
            shop.example.com  | www.example.com    | false
            *.example.com     | www.example.com    | true
            *.example.com     | a.b.example.com    | false
            *.example.com     | example.com        | false
            *.example.com     | .example.com       | false
            *.example.com     | *.example.com      | false
            *.example.com     | wwwexample.com     | false
            """)
    void coversExactNamesAndOneLabelWildcards(String pattern, String host, boolean expected) {
        assertThat(Names.covers(pattern, host)).isEqualTo(expected);
    }
}
