package dev.skewgate.push;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The event streams of one event loop. Only that loop's thread touches it, so it needs no locks; a broadcast reaches
 * it as a task on its context, and all loops write their streams in parallel.
 */
public final class LoopHub {

    private final Context context;
    private final Map<String, Set<EventStream>> bySite = new HashMap<>();

    LoopHub(Context context) {
        this.context = context;
    }

    Context context() {
        return context;
    }

    void add(EventStream stream) {
        bySite.computeIfAbsent(stream.site, k -> new LinkedHashSet<>()).add(stream);
    }

    void remove(EventStream stream) {
        Set<EventStream> streams = bySite.get(stream.site);
        if (streams != null) {
            streams.remove(stream);
            if (streams.isEmpty()) {
                bySite.remove(stream.site);
            }
        }
    }

    /** Writes the frame to every stream of the site; returns how many were written. */
    int send(String site, Buffer frame) {
        Set<EventStream> streams = bySite.get(site);
        if (streams == null) {
            return 0;
        }
        int sent = 0;
        for (EventStream stream : streams.toArray(new EventStream[0])) {
            if (stream.write(frame)) {
                sent++;
            }
        }
        return sent;
    }

    /** Writes a heartbeat comment to every stream. */
    void heartbeat() {
        for (Set<EventStream> streams : bySite.values().toArray(new Set[0])) {
            for (EventStream stream : streams.toArray(new EventStream[0])) {
                stream.write(SseFrames.HEARTBEAT);
            }
        }
    }

    /** Ends every stream (on shutdown): clients reconnect after their retry delay. */
    void closeAll() {
        for (Set<EventStream> streams : bySite.values().toArray(new Set[0])) {
            for (EventStream stream : streams.toArray(new EventStream[0])) {
                stream.response.end();
            }
        }
        bySite.clear();
    }
}
