package dev.skewgate.routing;

/**
 * A file of a retained deployment that answers for a path missing from the deployment a request is served by
 * (an old tab's lazy chunk after a new activation).
 *
 * @param deploymentId the deployment the bytes come from, named in the response's {@code X-Skewgate-Deployment}
 */
public record RetainedFile(String deploymentId, ServedFile file) {
}
