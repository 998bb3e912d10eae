package dev.skewgate.soak;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.config.EdgeLimits;
import dev.skewgate.model.Durations;
import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded soak of the edge under hostile traffic, all in parallel: slowloris heads, bodies trickled below the
 * minimum rate, idle event streams held open, and event streams opened and closed with made-up deployment ids —
 * while one client makes ordinary requests. Heap after GC and open file descriptors must stay flat, and the ordinary
 * requests' p99 under 50 ms. Two minutes by default; {@code -Dskewgate.soak.duration=30m} for the long run by hand.
 * The gateway runs in this JVM, so heap and {@code /proc/self/fd} include the clients' (constant) share.
 */
class SoakTest {

    private static final String HOST = "shop.test";
    private static final int IDLE_STREAMS = 150;
    private static final int SLOW_HEADS = 20;
    private static final int SLOW_BODIES = 5;
    /** Heap growth after GC allowed between the first and the last sample (a leak of 100 B per made-up id shows). */
    private static final long HEAP_SLACK = 8L << 20;
    /** Descriptors allowed to differ: slow clients reconnect at their own pace, two descriptors per connection here. */
    private static final int FD_SLACK = 64;

    @TempDir
    Path dir;

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong madeUpStreams = new AtomicLong();
    private final AtomicLong slowHeadsCut = new AtomicLong();
    private final AtomicLong slowBodiesCut = new AtomicLong();
    private final AtomicLong normalFailures = new AtomicLong();
    private volatile long quietUntil;

    @Test
    void heapAndDescriptorsStayFlatAndOrdinaryRequestsFastUnderSlowClientsIdleStreamsAndMadeUpIds() throws Exception {
        Duration duration = Durations.parse(System.getProperty("skewgate.soak.duration", "2m"));
        Duration warmUp = Duration.ofMillis(Math.min(30_000, duration.toMillis() / 4));
        EdgeLimits limits = new EdgeLimits(5_000, 1_000, 2_000, Duration.ofSeconds(5), 500);
        try (TestGateway gw = TestGateway.start(dir, s -> s.withLimits(limits))) {
            gw.createSite("shop", HOST);
            gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>",
                    "assets/app-a1b2c3d4.js", "console.log(1)")));
            int port = gw.edgePort();
            List<Socket> idle = new ArrayList<>();
            for (int i = 0; i < IDLE_STREAMS; i++) {
                Socket s = new Socket("127.0.0.1", port);
                s.getOutputStream().write(("GET /_skewgate/events HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 200");
                idle.add(s);
            }
            List<Thread> load = List.of(
                    started("soak-normal", () -> normal(port)),
                    started("soak-madeup-1", () -> madeUpIds(port)),
                    started("soak-madeup-2", () -> madeUpIds(port)),
                    started("soak-slow-heads", () -> slowHeads(port)),
                    started("soak-slow-bodies", () -> slowBodies(port)));
            long start = System.nanoTime();
            List<long[]> samples = new ArrayList<>(); // {seconds, heap after GC, fds}
            awaitElapsed(start, warmUp);
            samples.add(sample(start));
            latencies.clear(); // the warm-up's (JIT, first connections) do not count
            Duration every = Duration.ofMillis(Math.max(10_000, (duration.toMillis() - warmUp.toMillis()) / 6));
            Duration next = warmUp.plus(every);
            while (next.compareTo(duration) < 0) {
                awaitElapsed(start, next);
                samples.add(sample(start));
                next = next.plus(every);
            }
            awaitElapsed(start, duration);
            samples.add(sample(start));
            running.set(false);
            for (Thread t : load) {
                t.join(15_000);
            }
            for (Socket s : idle) {
                s.close();
            }

            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            long p50 = sorted.isEmpty() ? -1 : sorted.get(sorted.size() / 2);
            long p99 = sorted.isEmpty() ? -1 : sorted.get((int) (sorted.size() * 0.99));
            StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
                    "soak %s: %d ordinary requests (p50 %.2f ms, p99 %.2f ms, %d failed), %d made-up ids, "
                            + "%d slow heads cut, %d slow bodies cut%n  seconds  heap-after-gc-MiB  fds%n",
                    duration, sorted.size(), p50 / 1e6, p99 / 1e6, normalFailures.get(), madeUpStreams.get(),
                    slowHeadsCut.get(), slowBodiesCut.get()));
            for (long[] s : samples) {
                report.append(String.format(Locale.ROOT, "  %7d  %17.1f  %d%n", s[0], s[1] / 1048576.0, s[2]));
            }
            System.out.print(report);
            Files.writeString(Path.of("target", "soak-report.txt"), report);

            long[] first = samples.get(0);
            long[] last = samples.get(samples.size() - 1);
            assertThat(madeUpStreams.get()).as(report.toString()).isGreaterThan(1000);
            assertThat(slowHeadsCut.get()).as("the header timeout cut slow heads\n" + report).isGreaterThan(0);
            assertThat(slowBodiesCut.get()).as("the minimum body rate cut slow bodies\n" + report).isGreaterThan(0);
            assertThat(normalFailures.get()).as(report.toString()).isZero();
            assertThat(last[1] - first[1]).as("heap growth after GC\n" + report).isLessThan(HEAP_SLACK);
            assertThat(last[2] - first[2]).as("descriptor growth\n" + report).isLessThan(FD_SLACK);
            assertThat(p99).as("p99 of ordinary requests\n" + report).isLessThan(Duration.ofMillis(50).toNanos());
        }
    }

    private static Thread started(String name, Runnable work) {
        Thread t = new Thread(work, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Heap used after two full collections, and this process's open descriptors; latencies meanwhile are dropped. */
    private long[] sample(long start) throws IOException {
        quietUntil = Long.MAX_VALUE;
        System.gc();
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long fds;
        try (Stream<Path> list = Files.list(Path.of("/proc/self/fd"))) {
            fds = list.count();
        }
        quietUntil = System.nanoTime() + Duration.ofMillis(200).toNanos();
        return new long[] {Duration.ofNanos(System.nanoTime() - start).toSeconds(), heap, fds};
    }

    private void awaitElapsed(long start, Duration elapsed) {
        long until = start + elapsed.toNanos();
        while (System.nanoTime() < until) {
            LockSupport.parkNanos(Math.min(until - System.nanoTime(), 100_000_000L));
        }
    }

    /** One kept-alive client asking for a page and an asset, 100 times a second. */
    private void normal(int port) {
        while (running.get()) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(5_000);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                int n = 0;
                while (running.get() && n++ < 1_000) {
                    String path = n % 2 == 0 ? "/" : "/assets/app-a1b2c3d4.js";
                    long t0 = System.nanoTime();
                    out.write(("GET " + path + " HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    String head = readHead(in);
                    in.readNBytes(contentLength(head));
                    long took = System.nanoTime() - t0;
                    if (!head.startsWith("HTTP/1.1 200")) {
                        normalFailures.incrementAndGet();
                    } else if (t0 > quietUntil || quietUntil == 0) {
                        latencies.add(took);
                    }
                    LockSupport.parkNanos(10_000_000L);
                }
            } catch (IOException e) {
                if (running.get()) {
                    normalFailures.incrementAndGet();
                }
            }
        }
    }

    /** Event streams with a new made-up (well-formed) deployment id each: open, read hello, close. */
    private void madeUpIds(int port) {
        String alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        while (running.get()) {
            StringBuilder id = new StringBuilder("dpl_");
            for (int i = 0; i < 26; i++) {
                id.append(alphabet.charAt(ThreadLocalRandom.current().nextInt(32)));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(5_000);
                s.getOutputStream().write(("GET /_skewgate/events?deployment=" + id + " HTTP/1.1\r\nHost: " + HOST
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                ByteArrayOutputStream seen = new ByteArrayOutputStream();
                byte[] buf = new byte[2048];
                int r;
                while (!seen.toString(StandardCharsets.ISO_8859_1).contains("event: hello") && (r = in.read(buf)) > 0) {
                    seen.write(buf, 0, r);
                }
                madeUpStreams.incrementAndGet();
            } catch (IOException e) {
                // a refused or reset stream is fine here; the ordinary client is the one that must not fail
            }
        }
    }

    /** Slowloris: request heads sent one byte per second per connection, reconnecting whenever the gateway cuts one. */
    private void slowHeads(int port) {
        byte[] head = ("GET / HTTP/1.1\r\nHost: " + HOST + "\r\nX-Slow: " + "a".repeat(500)).getBytes(StandardCharsets.US_ASCII);
        drip(port, SLOW_HEADS, new byte[0], head, slowHeadsCut);
    }

    /** Bodies trickled at a few bytes per second, far under the minimum rate. */
    private void slowBodies(int port) {
        byte[] head = ("POST /_skewgate/notify HTTP/1.1\r\nHost: " + HOST + "\r\nContent-Length: 100000\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] body = "x".repeat(100_000).getBytes(StandardCharsets.US_ASCII);
        drip(port, SLOW_BODIES, head, body, slowBodiesCut);
    }

    private void drip(int port, int connections, byte[] prefix, byte[] drops, AtomicLong cut) {
        Socket[] sockets = new Socket[connections];
        int[] sent = new int[connections];
        while (running.get()) {
            for (int i = 0; i < connections; i++) {
                try {
                    if (sockets[i] == null) {
                        sockets[i] = new Socket("127.0.0.1", port);
                        sockets[i].getOutputStream().write(prefix);
                        sent[i] = 0;
                    }
                    sockets[i].getOutputStream().write(drops[sent[i]++ % drops.length]);
                    sockets[i].getOutputStream().flush();
                } catch (IOException e) {
                    cut.incrementAndGet();
                    closeQuietly(sockets[i]);
                    sockets[i] = null;
                }
            }
            LockSupport.parkNanos(1_000_000_000L);
        }
        for (Socket s : sockets) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(Socket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed after " + head.size() + " bytes of head");
            }
            head.write(b);
            matched = (b == '\r' && (matched == 0 || matched == 2)) || (b == '\n' && (matched == 1 || matched == 3))
                    ? matched + 1 : b == '\r' ? 1 : 0;
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static int contentLength(String head) {
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                return Integer.parseInt(line.substring(15).trim());
            }
        }
        return 0;
    }
}
