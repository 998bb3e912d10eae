package dev.skewgate.backends;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that moves every managed instance's raw output into its timestamped, rotated log, every 200 ms.
 *
 * <p>One thread for all instances (not one per process pipe) because the processes write to files, not pipes: a
 * backend never blocks on a slow gateway, and its output survives a gateway restart, to be pumped by the next one.
 */
public final class LogPump {

    private static final Logger LOG = LoggerFactory.getLogger(LogPump.class);
    private static final LogPump SHARED = new LogPump(Duration.ofMillis(200));

    private static final long FLOOD_TICK_MS = 1;
    private final Duration tick;
    /** Each log with how many instances use it: an old and a new instance of one index overlap in a restart. */
    private final Map<InstanceLog, Integer> logs = new ConcurrentHashMap<>();
    private Thread thread;

    LogPump(Duration tick) {
        this.tick = tick;
    }

    /** The gateway-wide pump; its daemon thread starts with the first registration. */
    public static LogPump shared() {
        return SHARED;
    }

    /** Starts pumping {@code log}; raw output already there (written while the gateway was down) is pumped too. */
    public void register(InstanceLog log) {
        logs.merge(log, 1, Integer::sum);
        synchronized (this) {
            if (thread == null) {
                thread = new Thread(this::run, "skewgate-log-pump");
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    /**
     * Stops pumping {@code log} for one user; when it was the last, moves what was written last, including an
     * unfinished last line. Otherwise just pumps it once, so an exiting process's last words are in the log.
     */
    public void unregister(InstanceLog log) {
        boolean[] last = {false};
        logs.computeIfPresent(log, (k, n) -> {
            last[0] = n == 1;
            return n == 1 ? null : n - 1;
        });
        log.pumpOnce();
        if (last[0]) {
            log.flushCarry();
            InstanceLog.forget(log);
        }
    }

    private void run() {
        while (true) {
            boolean flood = false;
            for (InstanceLog log : logs.keySet()) {
                try {
                    log.pumpOnce();
                    flood |= log.flooding();
                } catch (RuntimeException e) {
                    // A full disk or a removed directory must not stop the pump for every other instance.
                    LOG.warn("log pump: {}", e.toString());
                }
            }
            try {
                // A flooding file is emptied every few ms so the raw file stays small (its bytes are skipped).
                Thread.sleep(flood ? FLOOD_TICK_MS : tick.toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
