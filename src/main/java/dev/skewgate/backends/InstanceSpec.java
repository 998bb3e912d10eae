package dev.skewgate.backends;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * What one managed instance runs and where: the deployment's materialized directory, the command, its complete
 * environment except {@code PORT}/{@code HOST} (which {@link Instance} adds), and the run and log directories.
 *
 * @param index        1..N within the deployment
 * @param runDir       data/run/&lt;deployment&gt;: record files and raw output
 * @param logDir       data/logs/&lt;site&gt;/&lt;deployment&gt;: the pumped, timestamped logs
 * @param envRevision  the server-side environment revision that {@code env} was built from
 */
public record InstanceSpec(String site, String deployment, int index, Path dir, String run, Map<String, String> env,
                           String healthPath, Duration killTimeout, Path runDir, Path logDir, long envRevision) {

    public InstanceSpec {
        if (index < 1) {
            throw new IllegalArgumentException("index starts at 1: " + index);
        }
        env = Map.copyOf(env);
        if (!healthPath.startsWith("/")) {
            throw new IllegalArgumentException("healthPath must start with '/': " + healthPath);
        }
    }

    /** The raw output file that the process appends to. */
    public Path rawOutput() {
        return runDir.resolve(index + ".out");
    }

    /** The record file that lets a restarted gateway find the process again. */
    public Path recordFile() {
        return runDir.resolve(index + ".json");
    }
}
