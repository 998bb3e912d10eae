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

    /** Open tabs of every site with any, by site then deployment (what a node publishes to the others). */
    default Map<String, Map<String, Integer>> openTabs() {
        return Map.of();
    }

    /** The deployments anything was counted for (requests, WebSockets, requests after retirement). */
    default java.util.Set<String> counted() {
        return java.util.Set.of();
    }

    /**
     * The nodes sharing the store with their last reports, this one included (empty on a store that only one node
     * uses and before the first heartbeat).
     */
    default java.util.List<dev.skewgate.store.Nodes.Seen> nodes() {
        return java.util.List.of();
    }

    /**
     * Waits (bounded) until every live node reports serving {@code deployment} as the site's active one; answers which
     * nodes do and which lag at the end. Alone, it answers at once with no nodes.
     */
    default Propagation awaitServing(String site, String deployment, java.time.Duration bound) {
        return Propagation.ALONE;
    }

    /** Which live nodes serve a deployment after a change, and which did not within the bound. */
    record Propagation(java.util.List<String> serving, java.util.List<String> lagging, long waitedMillis) {
        public static final Propagation ALONE = new Propagation(java.util.List.of(), java.util.List.of(), 0);
    }

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
