package dev.skewgate.store;

/**
 * Which one of the nodes sharing a store runs the jobs that must run once (retention and purges, continuous checks).
 * Asked before each run: a node that is not the leader skips it. Leadership moves by itself when the leader goes.
 */
public interface Leadership extends AutoCloseable {

    /** One node alone: always the leader. */
    Leadership ALONE = new Leadership() {
        @Override
        public boolean leads() {
            return true;
        }

        @Override
        public void close() {
        }
    };

    /** Whether this node leads now, trying to become the leader when nobody is (may ask the store: not on a loop). */
    boolean leads();

    @Override
    void close();
}
