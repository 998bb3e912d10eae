package dev.skewgate.model;

import java.time.Instant;
import java.util.Optional;

/** An immutable frontend build of one site, with its state and who made it. */
public record Deployment(
        String id,
        String site,
        DeploymentState state,
        Instant createdAt,
        Optional<Instant> finalizedAt,
        Optional<Instant> activatedAt,
        Optional<Instant> demotedAt,
        Optional<Instant> retiredAt,
        String message,
        Optional<String> gitSha,
        String author,
        int fileCount,
        long totalBytes,
        Optional<String> promotedFrom) {

    public Deployment withState(DeploymentState next) {
        return new Deployment(id, site, next, createdAt, finalizedAt, activatedAt, demotedAt, retiredAt,
                message, gitSha, author, fileCount, totalBytes, promotedFrom);
    }
}
