package dev.skewgate.backends;

import java.util.List;

/** Why an instance never became ready, in plain words, with the last lines it wrote. */
public final class StartFailure extends RuntimeException {

    private final String reason;
    private final List<String> logTail;

    public StartFailure(String reason, List<String> logTail) {
        super(reason);
        this.reason = reason;
        this.logTail = List.copyOf(logTail);
    }

    /** e.g. "exited with status 127 before it was ready: command not found". */
    public String reason() {
        return reason;
    }

    /** The instance's last output lines (up to 20), without timestamps. */
    public List<String> logTail() {
        return logTail;
    }
}
