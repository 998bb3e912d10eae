package dev.skewgate.control;

/**
 * Tells connected clients about a change, after the snapshot that contains it is live: no client is told about a
 * version its gateway does not serve yet.
 */
public interface ChangeFeed {

    /** Feeds nothing: for tools and tests that run a control plane without an edge. */
    ChangeFeed NONE = notice -> 0;

    /** Sends the notice to the site's connected clients; returns how many were sent it. */
    int publish(Notice notice);

    /** Open event streams of a site by the deployment their tab booted on. */
    default java.util.Map<String, Integer> openClients(String site) {
        return java.util.Map.of();
    }

    /**
     * One push message: its site, its number (the audit event's), its SSE event type and its JSON data.
     *
     * @param type {@code deployment}, {@code config} or {@code retired}
     */
    record Notice(String site, long seq, String type, String data) {
    }
}
