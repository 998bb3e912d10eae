package dev.skewgate.control;

import dev.skewgate.model.Deployment;
import dev.skewgate.model.Site;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The port to the processes of managed backends: the control plane asks for a deployment's instances to be ready
 * before a switch, says when a site's deployments changed state (so instances start or stop), and reads what runs.
 * Implemented by the backend supervisor ({@code dev.skewgate.backends}).
 */
public interface BackendProcesses {

    /** Why a deployment's backend cannot take traffic: a stable code and plain words (with the log tail). */
    record NotReady(String code, String message) {
    }

    /** One running (or restarting) instance, for the status. */
    record InstanceStatus(int index, long pid, int port, String state, long uptimeSeconds, int restarts, long rssBytes,
                          long envRevision, Optional<String> lastExit) {
    }

    /**
     * Makes the deployment's instances ready: its folder materialized, its release command run (once per deployment),
     * every instance started and answering its health path. Blocks; empty when ready.
     */
    Optional<NotReady> prepare(Site site, Deployment deployment, Consumer<String> progress);

    /** A change of the site was committed: start, stop or leave each of its deployments' instances. Never blocks. */
    void changed(String site);

    /** The deployment's backend state (running, starting, sleeping, stopped, failing), empty if it has none running. */
    Optional<String> state(String deployment);

    List<InstanceStatus> instances(String deployment);

    /** Why the deployment's backend is failing (a crash loop, instances over their memory bound), in plain words. */
    default Optional<String> problem(String deployment) {
        return Optional.empty();
    }

    /** Replaces each instance in turn by one with the site's current environment, waiting for each to be ready. */
    List<InstanceStatus> restart(String deployment);

    /** The deployment's log lines, all instances merged by time ({@code TIMESTAMP [N] text}), newest last. */
    List<String> logs(String site, String deployment, OptionalInt instance, Optional<Instant> since, int lines);

    /** Streams new log lines until {@code stop} says so. */
    void follow(String site, String deployment, OptionalInt instance, Consumer<String> out, BooleanSupplier stop);

    /** No processes: for tools and tests without a supervisor; a managed deployment cannot be made ready. */
    BackendProcesses NONE = new BackendProcesses() {
        @Override
        public Optional<NotReady> prepare(Site site, Deployment deployment, Consumer<String> progress) {
            return Optional.of(new NotReady("BACKEND_NOT_READY", "this gateway runs no backend processes"));
        }

        @Override
        public void changed(String site) {
        }

        @Override
        public Optional<String> state(String deployment) {
            return Optional.empty();
        }

        @Override
        public List<InstanceStatus> instances(String deployment) {
            return List.of();
        }

        @Override
        public List<InstanceStatus> restart(String deployment) {
            return List.of();
        }

        @Override
        public List<String> logs(String site, String deployment, OptionalInt instance, Optional<Instant> since, int lines) {
            return List.of();
        }

        @Override
        public void follow(String site, String deployment, OptionalInt instance, Consumer<String> out,
                           BooleanSupplier stop) {
        }
    };
}
