package dev.skewgate.push;

import io.netty.buffer.ByteBuf;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

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

    /** The number a frame that is no event (a heartbeat comment) is sent under. */
    private static final long NOT_AN_EVENT = -1;

    /** Streams written per task, so requests on the same loop are not held up by a large broadcast. */
    static final int SLICE = 512;

    /**
     * Writes the frame to every stream of the site, a slice at a time, yielding the loop between slices; reports how
     * many tabs were told when the last slice is done.
     */
    void send(String site, long seq, Buffer frame, java.util.function.IntConsumer done) {
        Set<EventStream> streams = bySite.get(site);
        if (streams == null) {
            done.accept(0);
            return;
        }
        writeSlices(streams.toArray(new EventStream[0]), 0, 0, seq, frame, SseFrames.chunk(frame), done);
    }

    /** Writes one slice; {@code chunk} (this loop's copy of the frame as an HTTP/1.1 chunk) is released at the end. */
    private void writeSlices(EventStream[] all, int from, int sent, long seq, Buffer frame, ByteBuf chunk,
                             java.util.function.IntConsumer done) {
        int to = Math.min(all.length, from + SLICE);
        int written = sent;
        try {
            for (int i = from; i < to; i++) {
                // A stream opened after the notice was kept but before this task ran had it in its opening already.
                EventStream stream = all[i];
                if (stream.closed || seq != NOT_AN_EVENT && stream.sentUpTo >= seq) {
                    continue;
                }
                if (stream.write(frame, chunk)) {
                    stream.sentUpTo = Math.max(stream.sentUpTo, seq);
                    written += all[i].tabCount; // a shared stream tells every tab it speaks for
                }
            }
        } catch (RuntimeException e) {
            chunk.release();
            throw e;
        }
        if (to == all.length) {
            chunk.release();
            done.accept(written);
            return;
        }
        int total = written;
        // Not runOnContext: Netty runs tasks queued meanwhile in the same round, so the loop would serve no I/O until
        // the whole broadcast is written. A task scheduled for "now" waits for the next round, after pending I/O.
        ((io.vertx.core.internal.ContextInternal) context).nettyEventLoop().schedule(
                () -> context.runOnContext(v -> writeSlices(all, to, total, seq, frame, chunk, done)), 0,
                TimeUnit.NANOSECONDS);
    }

    /** Writes a heartbeat comment to every stream, a slice at a time. */
    void heartbeat() {
        List<EventStream> all = new ArrayList<>();
        bySite.values().forEach(all::addAll);
        writeSlices(all.toArray(new EventStream[0]), 0, 0, NOT_AN_EVENT, SseFrames.HEARTBEAT, SseFrames.chunk(SseFrames.HEARTBEAT),
                n -> { });
    }

    /** Ends every stream (on shutdown): clients reconnect after their retry delay. */
    void closeAll() {
        for (Set<EventStream> streams : bySite.values().toArray(new Set[0])) {
            for (EventStream stream : streams.toArray(new EventStream[0])) {
                stream.end();
            }
        }
        bySite.clear();
    }
}
