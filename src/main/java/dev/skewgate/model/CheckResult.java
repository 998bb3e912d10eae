package dev.skewgate.model;

import java.time.Instant;

/**
 * One synthetic check of one host name.
 *
 * @param check {@code entry} (the entry point answers with the deployment) or {@code backend} (its health path answers
 *              2xx through the proxy)
 */
public record CheckResult(String host, String check, String deployment, boolean ok, String detail, Instant at) {
}
