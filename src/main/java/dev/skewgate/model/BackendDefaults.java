package dev.skewgate.model;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A site's defaults for the backends its deployments bring as a folder, so a CI line stays short: each one the
 * deploy does not set itself is taken from here, then from the built-in default.
 */
public record BackendDefaults(
        Optional<String> run,
        OptionalInt instances,
        Optional<String> healthPath,
        Optional<String> release,
        OptionalLong maxMemoryBytes,
        Optional<Duration> killTimeout,
        Optional<Duration> idleStop,
        Optional<Boolean> autoRollback) {

    public static final BackendDefaults NONE = new BackendDefaults(Optional.empty(), OptionalInt.empty(),
            Optional.empty(), Optional.empty(), OptionalLong.empty(), Optional.empty(), Optional.empty(), Optional.empty());

    /** Each value set here wins over {@code fallback}'s. */
    public BackendDefaults over(BackendDefaults fallback) {
        return new BackendDefaults(run.or(fallback::run), instances.isPresent() ? instances : fallback.instances,
                healthPath.or(fallback::healthPath), release.or(fallback::release),
                maxMemoryBytes.isPresent() ? maxMemoryBytes : fallback.maxMemoryBytes,
                killTimeout.or(fallback::killTimeout), idleStop.or(fallback::idleStop),
                autoRollback.or(fallback::autoRollback));
    }
}
