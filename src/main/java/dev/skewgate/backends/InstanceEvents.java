package dev.skewgate.backends;

/**
 * What a supervised {@link Instance} tells its owner; called on the scheduler's threads, so it must not block long.
 */
public interface InstanceEvents {

    /** The instance answers its health path: after the first start, an adoption and every restart. */
    void ready(Instance instance);

    /** The process exited (or stopped answering after an adoption); a restart is scheduled. */
    void down(Instance instance, String why);

    /** The instance is crash-looping (the 5th restart within 60 s); it keeps retrying at the longest backoff. */
    void failing(Instance instance, String why);

    /** Events nobody listens to. */
    InstanceEvents NONE = new InstanceEvents() {
        @Override
        public void ready(Instance instance) {
        }

        @Override
        public void down(Instance instance, String why) {
        }

        @Override
        public void failing(Instance instance, String why) {
        }
    };
}
