package dev.skewgate.accesslog;

import dev.skewgate.config.Observability;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log: event loops hand finished requests to a bounded queue (never waiting), one writer thread formats
 * and writes them. When the writer falls behind (a slow disk, a blocked stdout) lines are dropped and counted
 * ({@code skewgate_access_log_dropped_total}), so logging can never stall serving.
 */
public final class AccessLog implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
    /** Lines waiting at most: about 8 MB at 500 bytes each; a second of 16k req/s. */
    static final int CAPACITY = 16_384;
    /** Rotation: 3 files of 50 MiB. */
    static final long MAX_FILE_BYTES = 50L << 20;
    static final int KEEP_FILES = 3;
    private static final DateTimeFormatter CLF = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** Logs nothing: {@code --access-log off}. */
    public static final AccessLog OFF = new AccessLog();

    private final Observability.Format format;
    private final BlockingQueue<AccessEntry> queue;
    private final LongAdder dropped = new LongAdder();
    private final Thread writer;
    private final Sink sink;
    private volatile boolean closing;

    private AccessLog() {
        format = Observability.Format.OFF;
        queue = null;
        writer = null;
        sink = null;
    }

    private AccessLog(Observability.Format format, Sink sink, int capacity) {
        this.format = format;
        this.sink = sink;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.writer = new Thread(this::drain, "skewgate-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** The access log of these settings: off, to stdout, or to a rotated file (opened now: a bad path fails here). */
    public static AccessLog open(Observability.Format format, Optional<Path> file) throws IOException {
        if (format == Observability.Format.OFF) {
            return OFF;
        }
        if (file.isPresent()) {
            LogFile out = new LogFile(file.get(), MAX_FILE_BYTES, KEEP_FILES);
            return new AccessLog(format, new Sink() {
                @Override
                public void write(byte[] line) throws IOException {
                    out.write(line);
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    out.close();
                }
            }, CAPACITY);
        }
        return toStream(format, System.out, CAPACITY);
    }

    /** An access log writing to a stream (stdout; tests use a pipe and a small queue to see drops). */
    static AccessLog toStream(Observability.Format format, OutputStream stream, int capacity) {
        PrintStream print = stream instanceof PrintStream p ? p : new PrintStream(stream, false, StandardCharsets.UTF_8);
        return new AccessLog(format, new Sink() {
            @Override
            public void write(byte[] line) {
                print.write(line, 0, line.length);
            }

            @Override
            public void flush() {
                print.flush();
            }

            @Override
            public void close() {
                print.flush();
            }
        }, capacity);
    }

    /** Where formatted lines go; called on the writer thread only. */
    interface Sink {
        void write(byte[] line) throws IOException;

        void flush() throws IOException;

        void close() throws IOException;
    }

    public boolean enabled() {
        return queue != null;
    }

    /** Hands a finished request to the writer; never blocks: a full queue drops the line and counts it. */
    public void offer(AccessEntry entry) {
        if (queue != null && (closing || !queue.offer(entry))) {
            dropped.increment();
        }
    }

    /** Lines dropped because the writer fell behind. */
    public long dropped() {
        return dropped.sum();
    }

    private void drain() {
        List<AccessEntry> batch = new ArrayList<>(256);
        boolean warned = false;
        while (true) {
            try {
                AccessEntry first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing) {
                        return;
                    }
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, 255);
                for (AccessEntry e : batch) {
                    sink.write(format(e).getBytes(StandardCharsets.UTF_8));
                }
                batch.clear();
                if (queue.isEmpty()) {
                    sink.flush();
                }
                warned = false;
            } catch (InterruptedException e) {
                closing = true;
            } catch (IOException | RuntimeException e) {
                dropped.add(batch.size());
                batch.clear();
                if (!warned) {
                    LOG.warn("access log: cannot write ({}); lines are dropped and counted until it works again",
                            e.toString());
                    warned = true;
                }
            }
        }
    }

    /** One line, newline included. */
    String format(AccessEntry e) {
        return format == Observability.Format.JSON ? json(e) : combined(e);
    }

    /**
     * Apache's combined format, then the gateway's own fields as {@code key=value}: tools that parse combined read
     * the first part, and the rest stays greppable.
     */
    static String combined(AccessEntry e) {
        StringBuilder b = new StringBuilder(320);
        b.append(dash(e.client())).append(" - - [").append(CLF.format(Instant.ofEpochMilli(e.epochMillis()))).append("] \"")
                .append(SafeTarget.printable(e.method())).append(' ').append(SafeTarget.of(e.target())).append(' ')
                .append(e.protocol()).append("\" ").append(e.status()).append(' ').append(e.bytes()).append(" \"")
                .append(e.referer() == null ? "-" : SafeTarget.of(e.referer())).append("\" \"")
                .append(e.userAgent() == null ? "-" : SafeTarget.printable(e.userAgent())).append('"')
                .append(" site=").append(dash(e.site()))
                .append(" host=").append(SafeTarget.printable(dash(e.host())))
                .append(" deployment=").append(dash(e.deployment()))
                .append(" pin=").append(e.pin())
                .append(" duration=").append(seconds(e.durationNanos()))
                .append(" upstream=").append(e.upstreamNanos() < 0 ? "-" : seconds(e.upstreamNanos()))
                .append(" id=").append(e.requestId()).append('\n');
        return b.toString();
    }

    static String json(AccessEntry e) {
        JsonObject o = new JsonObject()
                .put("time", Instant.ofEpochMilli(e.epochMillis()).toString())
                .put("client", e.client())
                .put("site", e.site())
                .put("host", e.host())
                .put("method", e.method())
                .put("path", SafeTarget.of(e.target()))
                .put("protocol", e.protocol())
                .put("status", e.status())
                .put("bytes", e.bytes())
                .put("duration", Double.parseDouble(seconds(e.durationNanos())))
                .put("deployment", e.deployment())
                .put("pin", e.pin())
                .put("upstream", e.upstreamNanos() < 0 ? null : Double.parseDouble(seconds(e.upstreamNanos())))
                .put("id", e.requestId())
                .put("referer", e.referer() == null ? null : SafeTarget.of(e.referer()))
                .put("userAgent", e.userAgent());
        return o.encode() + "\n";
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.6f", nanos / 1e9);
    }

    private static String dash(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }

    /** Writes what is queued (within a few seconds) and stops the writer. */
    @Override
    public void close() {
        if (queue == null) {
            return;
        }
        closing = true;
        try {
            writer.join(5_000);
            sink.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.warn("access log: closing failed: {}", e.toString());
        }
    }
}
