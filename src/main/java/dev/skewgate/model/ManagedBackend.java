package dev.skewgate.model;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A backend the gateway runs itself, one set of processes per deployment: the command, how many instances, what runs
 * once before them, and the bounds of their life. Fixed when the deployment is created (site defaults already merged).
 *
 * @param release run once in the deployment's directory before its instances first start (migrations)
 * @param maxMemoryBytes an instance whose process group's RSS exceeds this is replaced gracefully
 * @param killTimeout how long a stopping instance gets after SIGTERM before its process group is killed
 * @param idleStop a non-active deployment with no request and no open tab for this long is stopped (sleeping)
 * @param autoRollback a crash loop of the active deployment rolls the site back
 * @param fileCount files (and links) in the backend folder, {@code totalBytes} their size
 * @param envKeys the names of this deployment's own environment values (from --env-file); never the values
 */
public record ManagedBackend(
        String run,
        int instances,
        Optional<String> release,
        OptionalLong maxMemoryBytes,
        Duration killTimeout,
        Optional<Duration> idleStop,
        boolean autoRollback,
        int fileCount,
        long totalBytes,
        List<String> envKeys) {

    public static final int MAX_INSTANCES = 16;
    public static final Duration DEFAULT_KILL_TIMEOUT = Duration.ofSeconds(10);

    public ManagedBackend {
        envKeys = List.copyOf(envKeys);
    }
}
