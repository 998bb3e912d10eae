package dev.skewgate.control;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What is running on this gateway right now, as the data plane sees it: open tabs, WebSockets and traffic per
 * deployment. The one port the status and retention read it through (the composition root implements it from the
 * push hub, the WebSocket tunnels and the traffic meter); neither reaches into the data plane itself.
 */
public interface Running {

    /** Sees nothing: for tools and tests that run a control plane without an edge. */
    Running NONE = new Running() {
        @Override
        public Map<String, Integer> openTabs(String site) {
            return Map.of();
        }

        @Override
        public Activity activity(String deployment) {
            return Activity.NONE;
        }
    };

    /** Open tabs of a site by the deployment they booted on (as their event streams report). */
    Map<String, Integer> openTabs(String site);

    /** What one deployment has open and has served lately (since this gateway started). */
    Activity activity(String deployment);

    /**
     * @param webSockets open WebSocket tunnels to its backend
     * @param lastRequest when it last served a request
     * @param requestsAfterRetirementLast5Minutes requests that reached it after it was retired (answered 410)
     * @param lastRetiredClient the client address of the latest of those
     */
    record Activity(int webSockets, long requestsLastMinute, long requestsLast5Minutes, Optional<Instant> lastRequest,
                    long requestsAfterRetirementLast5Minutes, Optional<String> lastRetiredClient) {
        public static final Activity NONE = new Activity(0, 0, 0, Optional.empty(), 0, Optional.empty());
    }
}
