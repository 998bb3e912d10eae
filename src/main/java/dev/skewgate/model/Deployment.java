package dev.skewgate.model;

import java.time.Instant;
import java.util.Optional;

/** An immutable frontend build of one site, with its state, who made it, and the backend it was built against. */
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
        Optional<String> promotedFrom,
        Optional<Backend> backend) {
}
