package dev.skewgate.staticfiles;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.staticfiles.AcceptEncoding.Choice;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Accept-Encoding negotiation (RFC 9110 §12.5.3): a table of the cases browsers, CDNs and tools send, and properties. */
class AcceptEncodingTest {

    @ParameterizedTest(name = "{3}: [{0}] -> {1}")
    @CsvSource(delimiter = '|', nullValues = "NULL", textBlock = """
            gzip, deflate, br, zstd        | BROTLI   | true  | Chrome: br preferred over gzip at equal q
            gzip, deflate                  | GZIP     | true  | a client without br
            br;q=0.5, gzip                 | GZIP     | true  | the higher q wins
            br, gzip;q=1.0                 | BROTLI   | true  | equal q: br first
            gzip;q=1, br;q=1.000           | BROTLI   | true  | equal q written differently
            identity                       | IDENTITY | true  | only identity named
            *                              | BROTLI   | true  | star: any coding, br smallest
            *;q=0.5, gzip                  | GZIP     | true  | named beats star
            *;q=0                          | IDENTITY | true  | nothing acceptable: identity anyway
            br;q=0, gzip;q=0               | IDENTITY | true  | both refused
            identity;q=0                   | IDENTITY | true  | identity refused but no coding asked for: identity anyway
            gzip, identity;q=0             | GZIP     | true  | identity refused
            gzip;q=0.5, identity           | IDENTITY | true  | identity named higher
            gzip;q=0.5                     | GZIP     | true  | an unnamed identity ranks below every named coding
            GZIP, BR                       | BROTLI   | true  | names are case-insensitive
            x-gzip                         | GZIP     | true  | x-gzip is gzip (§8.4.1.3)
            br;q=2, gzip                   | GZIP     | true  | a malformed weight drops its element
            br;q=0.0001, gzip;q=0.5        | GZIP     | true  | more than three decimals is malformed
            br;q=abc                       | IDENTITY | true  | malformed and nothing else
            ''                             | IDENTITY | true  | empty header: identity only
            NULL                           | IDENTITY | true  | no header: identity
            br                             | IDENTITY | false | the file has no variants yet
            deflate                        | IDENTITY | true  | a coding the gateway does not make
            br;q=0.8;foo=bar, gzip;q=0.7   | BROTLI   | true  | other parameters are skipped
            gzip, br;q=0                   | GZIP     | true  | curl --compressed style refusal of br
            """)
    void choosesTheRepresentation(String header, Choice expected, boolean variants, String why) {
        assertThat(AcceptEncoding.choose(header, variants, variants)).as(why).isEqualTo(expected);
    }

    @ParameterizedTest(name = "[{0}] with only gzip -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            br, gzip     | GZIP
            br           | IDENTITY
            *            | GZIP
            br;q=1, *;q=0.1 | GZIP
            """)
    void onlyWhatTheFileHasIsChosen(String header, Choice expected) {
        assertThat(AcceptEncoding.choose(header, false, true)).isEqualTo(expected);
    }

    // ---- properties ---------------------------------------------------------------------------------------------

    record Element(String name, Optional<String> q) {
        String render(boolean upper, String space) {
            String n = upper ? name.toUpperCase(Locale.ROOT) : name;
            return n + q.map(v -> space + ";" + space + "q=" + v).orElse("");
        }

        double weight() {
            return q.map(Double::parseDouble).orElse(1.0);
        }
    }

    @Provide
    Arbitrary<List<Element>> headers() {
        Arbitrary<String> names = Arbitraries.of("br", "gzip", "x-gzip", "identity", "*", "deflate", "zstd");
        Arbitrary<Optional<String>> qs = Arbitraries.oneOf(Arbitraries.just(Optional.<String>empty()),
                Arbitraries.of("0", "0.0", "0.001", "0.1", "0.5", "0.50", "0.999", "1", "1.0", "1.000").map(Optional::of));
        return Combinators.combine(names, qs).as(Element::new).list().ofMaxSize(6);
    }

    /** The q a coding gets from the header: its first element, else the first '*', else 0 (x-gzip counts as gzip). */
    private static double effective(List<Element> elements, String coding) {
        for (Element e : elements) {
            if (e.name().equals(coding) || coding.equals("gzip") && e.name().equals("x-gzip")) {
                return e.weight();
            }
        }
        return elements.stream().filter(e -> e.name().equals("*")).findFirst().map(Element::weight).orElse(0.0);
    }

    private static String render(List<Element> elements, boolean upper, String space) {
        return String.join("," + space, elements.stream().map(e -> e.render(upper, space)).toList());
    }

    @Property
    void neverChoosesWhatTheFileLacksOrTheClientRefused(@ForAll("headers") List<Element> elements,
                                                        @ForAll boolean br, @ForAll boolean gzip) {
        Choice c = AcceptEncoding.choose(render(elements, false, ""), br, gzip);
        if (c == Choice.BROTLI) {
            assertThat(br).isTrue();
            assertThat(effective(elements, "br")).isPositive();
        }
        if (c == Choice.GZIP) {
            assertThat(gzip).isTrue();
            assertThat(effective(elements, "gzip")).isPositive();
        }
    }

    @Property
    void theChosenCodingHasTheHighestWeightAndBrotliWinsTies(@ForAll("headers") List<Element> elements) {
        Choice c = AcceptEncoding.choose(render(elements, false, ""), true, true);
        double qBr = effective(elements, "br");
        double qGzip = effective(elements, "gzip");
        if (c == Choice.BROTLI) {
            assertThat(qBr).isGreaterThanOrEqualTo(qGzip);
        } else if (c == Choice.GZIP) {
            assertThat(qGzip).isGreaterThan(qBr);
        } else {
            // Identity only when no coding is acceptable, or identity itself was named with a higher weight.
            double best = Math.max(qBr, qGzip);
            Optional<Element> identity = elements.stream().filter(e -> e.name().equals("identity")).findFirst();
            assertThat(best <= 0 || identity.isPresent() && identity.get().weight() > best)
                    .as("identity for %s", elements).isTrue();
        }
    }

    @Property
    void caseAndWhitespaceDoNotMatter(@ForAll("headers") List<Element> elements, @ForAll boolean br,
                                      @ForAll boolean gzip) {
        assertThat(AcceptEncoding.choose(render(elements, true, " "), br, gzip))
                .isEqualTo(AcceptEncoding.choose(render(elements, false, ""), br, gzip));
    }

    @Property
    void noVariantsMeansIdentity(@ForAll("headers") List<Element> elements) {
        assertThat(AcceptEncoding.choose(render(elements, false, ""), false, false)).isEqualTo(Choice.IDENTITY);
    }
}
