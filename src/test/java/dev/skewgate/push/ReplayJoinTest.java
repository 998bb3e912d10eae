package dev.skewgate.push;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link PushHub#joined}: the replay a gateway sent itself and the one it rebuilt from stored events are windows onto
 * one site's history; their join must be a window onto it too (every told event of its range, nothing else, in order),
 * as wide as both when they touch and at most {@link PushHub#REPLAY} notices long.
 */
class ReplayJoinTest {

    /** A site's history: which event numbers 1..n tabs are told about (the others are deploys, settings ...). */
    record History(boolean[] told) {
        List<ChangeNotice> notices(long after, long upTo) {
            List<ChangeNotice> out = new ArrayList<>();
            for (long seq = after + 1; seq <= upTo; seq++) {
                if (told[(int) seq - 1]) {
                    out.add(new ChangeNotice.Retired("shop", seq, "dpl_" + seq));
                }
            }
            return out;
        }

        /** As the hub keeps them: at most {@link PushHub#REPLAY} notices, the range starting after the last dropped. */
        PushHub.Replay window(long after, long upTo) {
            List<ChangeNotice> list = notices(after, upTo);
            long from = after;
            while (list.size() > PushHub.REPLAY) {
                from = list.remove(0).seq();
            }
            return new PushHub.Replay(from, upTo, list);
        }
    }

    record Case(History history, long fromA, long toA, long fromB, long toB) {
    }

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.integers().between(1, 400).flatMap(n -> {
            Arbitrary<boolean[]> told = Arbitraries.of(true, true, false).array(boolean[].class).ofSize(n);
            Arbitrary<Integer> seq = Arbitraries.integers().between(0, n);
            return Combinators.combine(told, seq, seq, seq, seq).as((t, a, b, c, d) ->
                    new Case(new History(t), Math.min(a, b), Math.max(a, b), Math.min(c, d), Math.max(c, d)));
        });
    }

    @Property(tries = 2_000)
    void theJoinIsAWindowOntoTheSameHistory(@ForAll("cases") Case c) {
        PushHub.Replay a = c.history().window(c.fromA(), c.toA());
        PushHub.Replay b = c.history().window(c.fromB(), c.toB());

        PushHub.Replay joined = PushHub.joined(a, b);

        assertThat(joined.notices()).as("exactly the told events of its range, oldest first")
                .isEqualTo(c.history().notices(joined.coveredFrom(), joined.newest()));
        assertThat(joined.notices().size()).isLessThanOrEqualTo(PushHub.REPLAY);
        assertThat(joined.newest()).isEqualTo(Math.max(c.toA(), c.toB()));
        boolean touch = b.coveredFrom() <= a.newest() && a.coveredFrom() <= b.newest();
        long widest = Math.min(a.coveredFrom(), b.coveredFrom());
        if (touch && c.history().notices(widest, joined.newest()).size() <= PushHub.REPLAY) {
            assertThat(joined.coveredFrom()).as("as wide as both").isEqualTo(widest);
        }
        if (touch) {
            assertThat(joined.coveredFrom()).as("never narrower than either")
                    .isLessThanOrEqualTo(Math.max(a.newest() >= b.newest() ? a.coveredFrom() : b.coveredFrom(), widest));
        } else {
            assertThat(joined).as("a gap cannot be replayed: the newer alone").isEqualTo(b.newest() > a.newest() ? b : a);
        }
    }
}
