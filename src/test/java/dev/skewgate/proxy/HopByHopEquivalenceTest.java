package dev.skewgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * HopByHop copies exactly the fields the straightforward version did (lowercase every name, look it up), in the same
 * order, for header sets mixing hop-by-hop names in any case, Connection values that nominate other fields, and
 * fields the caller drops.
 */
class HopByHopEquivalenceTest {

    private static final List<String> NAMES = List.of("Connection", "connection", "CONNECTION", "Keep-Alive", "TE", "te",
            "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "Proxy-Authorization", "Proxy-Authenticate",
            "Content-Type", "content-length", "Cookie", "X-Custom", "x-custom", "Cache-Control", "Accept", "Keep",
            "Tea", "Upgrade-Insecure-Requests", "Forwarded", "X-Forwarded-For", "Date", "Server", "P", "x");
    private static final List<String> CONNECTION_VALUES = List.of("keep-alive", "close", "Keep-Alive, Upgrade",
            "x-custom", "X-Custom, close", " , ", "cookie,date", "Content-Type", "upgrade", "tea, keep", "server");

    record Field(String name, String value) {
    }

    @Provide
    Arbitrary<List<Field>> headers() {
        Arbitrary<Field> plain = Combinators.combine(Arbitraries.of(NAMES), Arbitraries.strings().alpha().ofMaxLength(5))
                .as(Field::new);
        Arbitrary<Field> connection = Combinators.combine(Arbitraries.of("Connection", "connection"),
                Arbitraries.of(CONNECTION_VALUES)).as(Field::new);
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, plain), net.jqwik.api.Tuple.of(1, connection)).list().ofMaxSize(12);
    }

    @Provide
    Arbitrary<Set<String>> alsoDrop() {
        return Arbitraries.of(Set.<String>of(), Set.of("forwarded", "x-forwarded-for"), Set.of("cookie"),
                Set.of("x-custom", "server"));
    }

    @Property(tries = 3_000)
    void copiesWhatTheStraightforwardVersionCopied(@ForAll("headers") List<Field> fields,
                                                   @ForAll("alsoDrop") Set<String> alsoDrop) {
        MultiMap from = HttpHeaders.headers();
        fields.forEach(f -> from.add(f.name(), f.value()));
        MultiMap fast = HttpHeaders.headers();
        MultiMap reference = HttpHeaders.headers();

        HopByHop.copy(from, fast, alsoDrop);
        ReferenceHopByHop.copy(from, reference, alsoDrop);

        assertThat(entries(fast)).isEqualTo(entries(reference));
    }

    private static List<String> entries(MultiMap headers) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : headers) {
            out.add(e.getKey() + ": " + e.getValue());
        }
        return out;
    }
}
