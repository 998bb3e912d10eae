package dev.skewgate.staticfiles;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The request-path parser's fast path (no %-escape: the raw string is the path) answers every input exactly as the
 * full decoder did ({@link ReferenceRequestPath}): the same path, or the same status and reason.
 */
class RequestPathEquivalenceTest {

    /** Paths built from the characters that matter: separators, dots, escapes, controls, non-ASCII, letters. */
    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> piece = Arbitraries.oneOf(
                Arbitraries.of("/", ".", "..", "%", "%2e", "%2E", "%2f", "%5c", "%00", "%7f", "%c0%ae", "%e2%82%ac",
                        "%zz", "%4", "\\", "\u0000", "\u001f", "\u007f", "\u00e9", "\u20ac", "assets", "index.html",
                        "a", "-", "_", "~", "?", "#", " "),
                Arbitraries.strings().ascii().ofMaxLength(4));
        // Most start with '/', as a request target does; some do not.
        return Combinators.combine(piece.list().ofMaxSize(12), Arbitraries.integers().between(0, 3))
                .as((parts, slash) -> (slash > 0 ? "/" : "") + String.join("", parts));
    }

    @Property(tries = 5_000)
    void answersAsTheFullDecoderDid(@ForAll("paths") String raw) {
        RequestPath fast = RequestPath.parse(raw);
        ReferenceRequestPath reference = ReferenceRequestPath.parse(raw);
        assertThat(fast.path()).as(raw).isEqualTo(reference.path());
        assertThat(fast.refusal().map(r -> r.status() + " " + r.reason()))
                .as(raw).isEqualTo(reference.refusal().map(r -> r.status() + " " + r.reason()));
    }

    @Property(tries = 1_000)
    void answersAsTheFullDecoderDidOnAnyString(@ForAll String anything) {
        for (String raw : new String[] {anything, "/" + anything}) {
            assertThat(RequestPath.parse(raw).path()).as(raw).isEqualTo(ReferenceRequestPath.parse(raw).path());
            assertThat(RequestPath.parse(raw).refusal().map(RequestPath.Refusal::reason)).as(raw)
                    .isEqualTo(ReferenceRequestPath.parse(raw).refusal().map(ReferenceRequestPath.Refusal::reason));
        }
    }
}
