package dev.skewgate.push;

/**
 * Tells open tabs about a change, after the snapshot that contains it is live: no tab is told about a version its
 * gateway does not serve yet. The control plane calls it; push never calls the control plane.
 */
@FunctionalInterface
public interface Announcer {

    /** Tells nobody: for tools and tests that run a control plane without an edge. */
    Announcer NONE = notice -> 0;

    /** Sends the notice to the site's open tabs; returns how many event streams were sent it. */
    int announce(ChangeNotice notice);
}
