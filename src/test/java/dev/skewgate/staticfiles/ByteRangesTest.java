package dev.skewgate.staticfiles;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Range headers against a 100-byte representation (RFC 9110 §14). */
class ByteRangesTest {

    @ParameterizedTest(name = "{0} -> {1} ({2})")
    @CsvSource(delimiter = '|', textBlock = """
            bytes=0-9                | 0-9          | first ten bytes
            bytes=90-                | 90-99        | open-ended
            bytes=-10                | 90-99        | suffix
            bytes=-500               | 0-99         | suffix longer than the file
            bytes=95-200             | 95-99        | last position clipped
            bytes=0-0,10-19          | 0-0;10-19    | two ranges
            BYTES=0-1                | 0-1          | unit is case-insensitive
            bytes=0-1, 200-300       | 0-1          | unsatisfiable part dropped
            """)
    void satisfiableRanges(String header, String expected, String why) {
        ByteRanges.Outcome outcome = ByteRanges.parse(header, 100);
        assertThat(outcome).as(why).isInstanceOf(ByteRanges.Satisfiable.class);
        List<ByteRanges.Range> ranges = ((ByteRanges.Satisfiable) outcome).ranges();
        assertThat(String.join(";", ranges.stream().map(r -> r.first() + "-" + r.last()).toList())).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} ({1})")
    @CsvSource(delimiter = '|', textBlock = """
            bytes=100-            | starts past the end
            bytes=200-300         | wholly outside
            bytes=-0              | empty suffix
            """)
    void unsatisfiableRangesGive416(String header, String why) {
        assertThat(ByteRanges.parse(header, 100)).as(why).isInstanceOf(ByteRanges.Unsatisfiable.class);
    }

    @ParameterizedTest(name = "{0} ({1})")
    @CsvSource(delimiter = '|', textBlock = """
            items=0-9                                           | another unit
            bytes=9-0                                           | reversed
            bytes=abc                                           | not a range
            bytes=0-10,5-20                                     | overlapping ranges (cheap amplification)
            bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,20-20,22-22,24-24,26-26,28-28,30-30,32-32 | more than 16 ranges
            """)
    void malformedOrAbusiveRangesAreIgnored(String header, String why) {
        assertThat(ByteRanges.parse(header, 100)).as(why).isInstanceOf(ByteRanges.Ignore.class);
    }
}
