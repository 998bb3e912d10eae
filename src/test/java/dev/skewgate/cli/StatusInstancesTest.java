package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The instance table of {@code status} and {@code restart}, from the status JSON of the contract. */
class StatusInstancesTest {

    @Test
    void oneRowPerInstanceWithItsProcessFacts() throws Exception {
        var instances = new ObjectMapper().readTree("""
                [{"index": 1, "pid": 4242, "port": 41234, "state": "READY", "uptimeSeconds": 3725, "restarts": 0,
                  "rssBytes": 52428800, "envRevision": 3, "lastExit": null},
                 {"index": 2, "pid": null, "port": 41235, "state": "FAILING", "uptimeSeconds": null, "restarts": 5,
                  "rssBytes": null, "envRevision": 3, "lastExit": "exited with status 1\\u001b[2J"}]
                """);
        StringWriter text = new StringWriter();
        StatusCommand.instanceTable(instances).print(new PrintWriter(text));
        assertThat(text.toString().lines()).containsExactly(
                "INSTANCE  PID   PORT   STATE    UPTIME  RESTARTS  RSS       ENV    LAST EXIT",
                "1         4242  41234  READY    1h02m   0         50.0 MiB  rev 3  -",
                "2         -     41235  FAILING  -       5         -         rev 3  exited with status 1?[2J");
    }

    @ParameterizedTest(name = "{0} s -> {1}")
    @CsvSource(textBlock = """
            0, 0s
            59, 59s
            60, 1m00s
            3599, 59m59s
            3600, 1h00m
            90061, 1d01h
            """)
    void durationsShowTheirTwoLargestUnits(long seconds, String shown) {
        assertThat(Table.duration(seconds)).isEqualTo(shown);
    }
}
