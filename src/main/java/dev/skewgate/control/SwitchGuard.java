package dev.skewgate.control;

import dev.skewgate.model.Backend;
import dev.skewgate.model.CheckResult;
import dev.skewgate.model.Site;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** What must hold before traffic moves to a deployment: a ready backend, and every host name working through the edge. */
public interface SwitchGuard {

    /** Checks nothing: for tools and tests that run a control plane without an edge. */
    SwitchGuard NONE = new SwitchGuard() {
        @Override
        public Optional<String> notReady(Site site, Backend backend, Consumer<String> progress) {
            return Optional.empty();
        }

        @Override
        public List<CheckResult> synthetic(Site site, String deploymentId, Optional<Backend> backend) {
            return List.of();
        }
    };

    /**
     * Probes each upstream until it has answered the site's number of consecutive 2xx; empty when ready, else why not
     * in plain words.
     *
     * @param progress told each probe's outcome ("waiting for URL: 2/3 probes answered 2xx"), for the CLI to show
     */
    Optional<String> notReady(Site site, Backend backend, Consumer<String> progress);

    /** Checks every host name of the site through the edge listener, pinned to the deployment. */
    List<CheckResult> synthetic(Site site, String deploymentId, Optional<Backend> backend);
}
