package dev.skewgate.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The sign-in throttle against a clock the test moves. */
class SignInThrottleTest {

    /** A clock that stands still until moved. */
    static final class Manual extends Clock {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void fourWrongTokensAreFreeThenEachFurtherOneLocksTwiceAsLong() {
        Manual clock = new Manual();
        SignInThrottle t = new SignInThrottle(clock);
        for (int i = 0; i < 4; i++) {
            assertThat(t.failed("10.0.0.1")).as("attempt " + (i + 1)).isEmpty();
        }
        assertThat(t.failed("10.0.0.1")).hasValue(Duration.ofSeconds(1));
        assertThat(t.locked("10.0.0.1")).hasValue(Duration.ofSeconds(1));
        assertThat(t.locked("10.0.0.2")).as("another client").isEmpty();
        clock.now = clock.now.plusSeconds(1);
        assertThat(t.locked("10.0.0.1")).isEmpty();
        assertThat(t.failed("10.0.0.1")).hasValue(Duration.ofSeconds(2));
        clock.now = clock.now.plusSeconds(2);
        assertThat(t.failed("10.0.0.1")).hasValue(Duration.ofSeconds(4));
    }

    @Test
    void theLockIsCappedAtFifteenMinutes() {
        assertThat(SignInThrottle.lock(5)).isEqualTo(Duration.ofSeconds(1));
        assertThat(SignInThrottle.lock(14)).isEqualTo(Duration.ofSeconds(512));
        assertThat(SignInThrottle.lock(15)).isEqualTo(Duration.ofMinutes(15));
        assertThat(SignInThrottle.lock(1000)).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void aRightTokenOrFifteenQuietMinutesForgetTheWrongOnes() {
        Manual clock = new Manual();
        SignInThrottle t = new SignInThrottle(clock);
        for (int i = 0; i < 4; i++) {
            t.failed("a");
            t.failed("b");
        }
        t.succeeded("a");
        assertThat(t.failed("a")).as("counted from one again").isEmpty();
        clock.now = clock.now.plus(Duration.ofMinutes(15));
        assertThat(t.failed("b")).as("forgotten").isEmpty();
    }
}
