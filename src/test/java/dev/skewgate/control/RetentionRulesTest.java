package dev.skewgate.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.Retention;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Retention as a decision table: one row per case, what happens to the deployment now. */
class RetentionRulesTest {

    static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
    /** Keep 2 previous; a skew window of 1 h; retired ones purged after 7 d. */
    static final Retention KEEP_2 = new Retention(Duration.ofHours(1), 2, Duration.ofDays(7));
    static final Optional<Duration> IDLE_30M = Optional.of(Duration.ofMinutes(30));

    static Deployment previous(Duration demotedAgo) {
        return deployment(DeploymentState.PREVIOUS, Optional.of(NOW.minus(demotedAgo)), Optional.empty(), NOW.minusSeconds(86_400 * 30));
    }

    static Deployment deployment(DeploymentState state, Optional<Instant> demoted, Optional<Instant> retired,
                                 Instant created) {
        return new Deployment("dpl_test", "shop", state, created, Optional.of(created), Optional.of(created), demoted,
                retired, "", Optional.empty(), "test", 1, 1, Optional.empty(), Optional.empty());
    }

    static Stream<Arguments> previousDeployments() {
        Instant neverUsed = Instant.EPOCH;
        return Stream.of(
                Arguments.of("the rollback target, long past the window, but within keepPrevious", 0,
                        previous(Duration.ofDays(3)), Optional.empty(), neverUsed, "keep"),
                Arguments.of("second newest, within keepPrevious", 1, previous(Duration.ofDays(3)), Optional.empty(),
                        neverUsed, "keep"),
                Arguments.of("beyond keepPrevious but still inside the skew window", 2, previous(Duration.ofMinutes(59)),
                        Optional.empty(), neverUsed, "keep"),
                Arguments.of("beyond keepPrevious and past the skew window", 2, previous(Duration.ofMinutes(61)),
                        Optional.empty(), neverUsed, "skew window of 1h passed"),
                Arguments.of("idle retirement off: an idle one within keepPrevious stays", 1, previous(Duration.ofDays(1)),
                        Optional.empty(), neverUsed, "keep"),
                Arguments.of("idle for longer than the limit", 1, previous(Duration.ofDays(1)), IDLE_30M,
                        NOW.minus(Duration.ofMinutes(31)), "idle for 30m: no requests, no open tabs"),
                Arguments.of("a request 29 minutes ago keeps it", 1, previous(Duration.ofDays(1)), IDLE_30M,
                        NOW.minus(Duration.ofMinutes(29)), "keep"),
                Arguments.of("an open tab or WebSocket keeps it however long ago the last request was", 1,
                        previous(Duration.ofDays(1)), IDLE_30M, Instant.MAX, "keep"),
                Arguments.of("the rollback target is never retired for being idle", 0, previous(Duration.ofDays(1)),
                        IDLE_30M, NOW.minus(Duration.ofDays(1)), "keep"),
                Arguments.of("the active deployment is never retired", 5,
                        deployment(DeploymentState.ACTIVE, Optional.empty(), Optional.empty(), NOW.minusSeconds(86_400)),
                        IDLE_30M, neverUsed, "keep"),
                Arguments.of("a staged deployment is not retention's to retire", 5,
                        deployment(DeploymentState.STAGED, Optional.empty(), Optional.empty(), NOW.minusSeconds(86_400)),
                        IDLE_30M, neverUsed, "keep"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("previousDeployments")
    void retirement(String description, int rank, Deployment d, Optional<Duration> idleLimit, Instant idleSince,
                    String expected) {
        assertThat(RetentionRules.retireReason(rank, d, KEEP_2, idleLimit, idleSince, NOW).orElse("keep"))
                .isEqualTo(expected);
    }

    static Stream<Arguments> retiredAndUploading() {
        Instant created = NOW.minus(Duration.ofDays(30));
        return Stream.of(
                Arguments.of("retired 6 days ago: kept for 410 answers and an undo", deployment(DeploymentState.RETIRED,
                        Optional.empty(), Optional.of(NOW.minus(Duration.ofDays(6))), created), false, false),
                Arguments.of("retired 8 days ago: purged", deployment(DeploymentState.RETIRED, Optional.empty(),
                        Optional.of(NOW.minus(Duration.ofDays(8))), created), true, false),
                Arguments.of("already purged: nothing more", deployment(DeploymentState.PURGED, Optional.empty(),
                        Optional.of(NOW.minus(Duration.ofDays(30))), created), false, false),
                Arguments.of("uploading for 23 h: still an upload", deployment(DeploymentState.UPLOADING,
                        Optional.empty(), Optional.empty(), NOW.minus(Duration.ofHours(23))), false, false),
                Arguments.of("uploading for 25 h: abandoned", deployment(DeploymentState.UPLOADING, Optional.empty(),
                        Optional.empty(), NOW.minus(Duration.ofHours(25))), false, true),
                Arguments.of("previous, however old: neither", previous(Duration.ofDays(300)), false, false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("retiredAndUploading")
    void purgeAndAbandon(String description, Deployment d, boolean purge, boolean abandoned) {
        assertThat(RetentionRules.purge(d, KEEP_2.purgeAfter(), NOW)).as("purge").isEqualTo(purge);
        assertThat(RetentionRules.abandoned(d, NOW)).as("abandoned").isEqualTo(abandoned);
    }
}
