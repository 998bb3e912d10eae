package dev.skewgate.testing;

import java.util.function.BooleanSupplier;

/** Waiting for a condition with a deadline, never a bare sleep. */
public final class Await {

    private Await() {
    }

    /** Polls {@code condition} every 200 ms until it holds, failing after {@code millis}. */
    public static void until(String what, long millis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within " + millis + " ms: " + what);
            }
            Thread.sleep(200);
        }
    }
}
