package dev.skewgate.push;

/**
 * Tells open tabs about a change, after the snapshot that contains it is live: no tab is told about a version its
 * gateway does not serve yet. The control plane calls it; push never calls the control plane.
 */
public interface Announcer {

    /** Tells nobody: for tools and tests that run a control plane without an edge. */
    Announcer NONE = new Announcer() {
        @Override
        public int announce(ChangeNotice notice) {
            return 0;
        }

        @Override
        public void recall(String site, long coveredFrom, long newest, java.util.List<ChangeNotice> notices) {
        }
    };

    /** Sends the notice to the site's open tabs; returns how many event streams were sent it. */
    int announce(ChangeNotice notice);

    /**
     * Hands over notices of the site this gateway did not send itself (rebuilt from the stored events: at start, and
     * after catching up with other nodes' changes), for tabs that reconnect with an older {@code Last-Event-ID}.
     * Nothing is sent.
     *
     * @param coveredFrom every told event numbered after it, up to {@code newest}, is in {@code notices}
     * @param notices oldest first
     */
    void recall(String site, long coveredFrom, long newest, java.util.List<ChangeNotice> notices);
}
