package dev.skewgate.backends;

import java.time.Duration;
import java.util.Set;
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
    private final Set<InstanceLog> logs = ConcurrentHashMap.newKeySet();
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
        logs.add(log);
        synchronized (this) {
            if (thread == null) {
                thread = new Thread(this::run, "skewgate-log-pump");
                thread.setDaemon(true);
                thread.start();
            }
        }
    }

    /** Stops pumping {@code log} after moving what it wrote last, including an unfinished last line. */
    public void unregister(InstanceLog log) {
        logs.remove(log);
        log.pumpOnce();
        log.flushCarry();
    }

    private void run() {
        while (true) {
            boolean flood = false;
            for (InstanceLog log : logs) {
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
