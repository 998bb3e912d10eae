package dev.skewgate.compress;

import dev.skewgate.model.Sha256;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.VariantFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Computes the gzip and brotli variants of blobs, once per blob and setting (content-addressed in {@link VariantFiles},
 * so shared by every deployment and site), on a fixed number of worker threads (one by default) that never run on an
 * event loop and run at the lowest CPU priority: a 2,000-file upload queues 2,000 jobs and takes at most that many
 * cores, and only what the event loops leave of them, for as long as it needs. Jobs stream from the blob file to a temp file, so memory stays flat whatever the
 * file size.
 */
public final class Compressor implements AutoCloseable {

    /** Files at or below this size are not compressed: the saving would not pay for the extra representation. */
    public static final long MIN_SIZE = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(Compressor.class);

    private final BlobStore blobs;
    private final VariantFiles variants;
    private final ExecutorService workers;
    private final boolean brotli;
    /** Jobs queued or running, by blob: a second request for the same blob joins the first one's listeners. */
    private final Map<String, Job> pending = new ConcurrentHashMap<>();
    private final AtomicLong computed = new AtomicLong();
    /** Jobs (and the sweep) submitted and not finished (a running job has already left {@link #pending}). */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    /** A computed variant, ready to serve. */
    public record Variant(Coding coding, Path path, long length, String etag) {
    }

    private final class Job {
        final String sha256;
        final Set<Coding> codings = EnumSet.noneOf(Coding.class);
        final List<Consumer<Variant>> listeners = new ArrayList<>();

        Job(String sha256) {
            this.sha256 = sha256;
        }
    }

    /** @param threads worker threads, at least 1 */
    public Compressor(BlobStore blobs, int threads) {
        this.blobs = blobs;
        this.variants = blobs.variants();
        AtomicLong n = new AtomicLong();
        this.workers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(() -> {
                        lowestCpuPriority();
                        r.run();
                    }, "skewgate-compress-" + n.incrementAndGet());
                    t.setDaemon(true);
                    t.setPriority(Thread.MIN_PRIORITY);
                    return t;
                });
        this.brotli = Coding.brotliAvailable();
        if (!brotli) { // a platform without brotli4j's native library: gzip only, said once
            LOG.warn("brotli is not available on this platform; computing gzip variants only");
        }
    }

    /**
     * Gives the calling thread the lowest CPU priority (nice 19), so that on a busy machine the event loops get the
     * cores first and compression takes only what is left: Java thread priorities are ignored on Linux, but a
     * thread's nice value applies to it alone ({@code /proc/thread-self} names its id). Best effort: elsewhere, or
     * without {@code renice}, the thread keeps the normal priority.
     */
    private static void lowestCpuPriority() {
        try {
            String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
            Process p = new ProcessBuilder("renice", "-n", "19", "-p", tid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                LOG.info("could not lower the priority of the compression thread (renice); it runs at normal priority");
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.info("could not lower the priority of the compression thread ({}); it runs at normal priority",
                    e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing: the job will not run anyway
        }
    }

    /** Codings computed on this machine (brotli needs its native library). */
    public Set<Coding> codings() {
        return brotli ? EnumSet.allOf(Coding.class) : EnumSet.of(Coding.GZIP);
    }

    /** Removes, in the background, variants left by a crash or by older compressor settings. */
    public void start() {
        inFlight.incrementAndGet();
        workers.execute(() -> {
            try {
                Set<String> keys = Arrays.stream(Coding.values()).map(Coding::key).collect(Collectors.toSet());
                // A variant is worth keeping only beside its blob's local file (a blob cache may have evicted it).
                int removed = variants.sweep(sha -> Files.isRegularFile(blobs.path(sha)), keys);
                if (removed > 0) {
                    LOG.info("removed {} compressed variant(s) of deleted blobs or old settings", removed);
                }
            } catch (IOException e) {
                LOG.warn("sweeping compressed variants failed: {}", e.toString());
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }

    /** What the variant store knows about one variant now (a file stat; no computing). */
    public VariantFiles.Lookup find(String sha256, Coding coding) {
        return variants.find(sha256, coding.key());
    }

    /** The strong ETag of a computed variant: its own for each identity blob and coding setting (RFC 9110 §8.8.3). */
    public static String etag(String sha256, Coding coding) {
        return "\"" + Sha256.hex((sha256 + "." + coding.key()).getBytes(java.nio.charset.StandardCharsets.US_ASCII))
                .substring(0, 32) + "\"";
    }

    /** Queues the missing variants of one blob; {@code done} is called (on a worker thread) for each one kept. */
    public void request(String sha256, Set<Coding> codings, Consumer<Variant> done) {
        boolean[] created = {false};
        pending.compute(sha256, (k, job) -> {
            if (job == null) {
                job = new Job(sha256);
                created[0] = true;
            }
            job.codings.addAll(codings);
            job.listeners.add(done);
            return job;
        });
        if (created[0]) {
            inFlight.incrementAndGet();
            workers.execute(() -> {
                try {
                    run(sha256);
                } finally {
                    inFlight.decrementAndGet();
                }
            });
        }
    }

    /** How many variants this gateway computed since it started (tests, logs). */
    public long computedCount() {
        return computed.get();
    }

    /** Queued or running jobs, the start's sweep included. */
    public int pendingCount() {
        return inFlight.get();
    }

    private void run(String sha256) {
        Job job = pending.remove(sha256);
        if (job == null) {
            return;
        }
        for (Coding coding : job.codings) {
            if (!codings().contains(coding)) {
                continue;
            }
            try {
                VariantFiles.Lookup found = variants.find(sha256, coding.key());
                if (found instanceof VariantFiles.Missing) {
                    found = compute(sha256, coding);
                }
                if (found instanceof VariantFiles.Stored stored) {
                    Variant v = new Variant(coding, stored.path(), stored.length(), etag(sha256, coding));
                    job.listeners.forEach(l -> l.accept(v));
                }
            } catch (IOException | RuntimeException e) {
                // The identity keeps being served; a restart tries again.
                LOG.warn("cannot compute the {} variant of blob {}: {}", coding.token(), sha256, e.toString());
            }
        }
    }

    private VariantFiles.Lookup compute(String sha256, Coding coding) throws IOException {
        Path source = blobs.path(sha256);
        long identity = Files.size(source);
        Path temp = variants.newTemp(sha256, coding.key());
        try {
            try (InputStream in = Files.newInputStream(source);
                 OutputStream out = coding.encoder(Files.newOutputStream(temp))) {
                in.transferTo(out);
            }
            long length = Files.size(temp);
            computed.incrementAndGet();
            if (!worthKeeping(length, identity)) {
                Files.delete(temp);
                variants.markNotWorthIt(sha256, coding.key());
                return new VariantFiles.NotWorthIt();
            }
            variants.commit(temp, sha256, coding.key());
            return new VariantFiles.Stored(variants.path(sha256, coding.key()), length);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Kept only when at least 5% smaller: less saves too little to be worth a second representation in caches. */
    static boolean worthKeeping(long variant, long identity) {
        return variant * 20 <= identity * 19;
    }

    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing anyway; a half-written temp file is removed at next start
        }
    }
}
