package dev.skewgate.control;

import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.Durations;
import dev.skewgate.model.Retention;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * When retention acts on a deployment, as pure decisions (a table test holds every row): a previous deployment is
 * retired past the skew window beyond the newest {@code keepPrevious}, or when idle; a retired one is purged after
 * {@code purgeAfter}; an upload never finalized is abandoned after a day.
 */
public final class RetentionRules {

    /** An upload that has not been finalized after this long is abandoned and removed. */
    public static final Duration ABANDON_AFTER = Duration.ofHours(24);

    private RetentionRules() {
    }

    /**
     * Why a previous deployment is retired now, or empty to keep it.
     *
     * @param rank its place among the site's previous deployments, newest demotion first; rank 0 is the rollback
     *     target and is never retired for being idle
     * @param idleSince since when it has had no request and no open tab or WebSocket ({@link Instant#MAX} while one
     *     is open)
     */
    public static Optional<String> retireReason(int rank, Deployment d, Retention retention,
                                                Optional<Duration> retireWhenIdle, Instant idleSince, Instant now) {
        if (d.state() != DeploymentState.PREVIOUS) {
            return Optional.empty();
        }
        boolean pastWindow = rank >= retention.keepPrevious()
                && d.demotedAt().orElse(Instant.EPOCH).plus(retention.skewWindow()).isBefore(now);
        if (pastWindow) {
            return Optional.of("skew window of " + Durations.format(retention.skewWindow()) + " passed");
        }
        boolean idle = rank > 0 && retireWhenIdle.isPresent() && !idleSince.equals(Instant.MAX)
                && idleSince.plus(retireWhenIdle.get()).isBefore(now);
        if (idle) {
            return Optional.of("idle for " + Durations.format(retireWhenIdle.get()) + ": no requests, no open tabs");
        }
        return Optional.empty();
    }

    /** A retired deployment's manifest is dropped (its blobs become collectable) once {@code purgeAfter} passed. */
    public static boolean purge(Deployment d, Duration purgeAfter, Instant now) {
        return d.state() == DeploymentState.RETIRED && d.retiredAt().orElse(now).plus(purgeAfter).isBefore(now);
    }

    /** An upload never finalized is removed a day after it began. */
    public static boolean abandoned(Deployment d, Instant now) {
        return d.state() == DeploymentState.UPLOADING && d.createdAt().plus(ABANDON_AFTER).isBefore(now);
    }
}
