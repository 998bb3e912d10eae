package dev.skewgate.control;

import java.time.Instant;

/**
 * What an activation that is still running its checks is waiting for, so a client can show it while it waits.
 *
 * @param step the latest step in plain words ("waiting for http://127.0.0.1:9101/api/health: 2/3 probes answered 2xx")
 */
public record ActivationProgress(String deployment, String step, Instant since) {
}
