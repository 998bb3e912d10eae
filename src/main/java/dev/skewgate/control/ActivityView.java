package dev.skewgate.control;

import java.time.Instant;
import java.util.Optional;

/** What the data plane saw of a deployment lately: the control plane's input for retiring idle versions. */
public interface ActivityView {

    ActivityView NONE = new ActivityView() {
        @Override
        public Optional<Instant> lastRequest(String deployment) {
            return Optional.empty();
        }

        @Override
        public int openConnections(String site, String deployment) {
            return 0;
        }
    };

    /** When the deployment last served a request (since this gateway started). */
    Optional<Instant> lastRequest(String deployment);

    /** Open event streams of tabs that booted on it, plus open WebSocket tunnels to its backend. */
    int openConnections(String site, String deployment);
}
