package dev.skewgate.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceLogTest {

    private static final String STAMPED = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ";

    @TempDir
    Path dir;

    private InstanceLog log(int n) {
        return new InstanceLog(n, dir.resolve("run/" + n + ".out"), dir.resolve("logs"));
    }

    private static void append(InstanceLog log, String text) throws IOException {
        Files.createDirectories(log.raw().getParent());
        Files.writeString(log.raw(), text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void completeLinesAreTimestampedAndTheRawFileTruncated() throws Exception {
        InstanceLog l = log(1);
        append(l, "hello\nworld\r\nhalf a li");
        l.pumpOnce();
        List<String> lines = Files.readAllLines(l.log());
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches(STAMPED + "hello");
        assertThat(lines.get(1)).matches(STAMPED + "world");
        assertThat(Files.size(l.raw())).isZero();
        append(l, "ne\n");
        l.pumpOnce();
        assertThat(Files.readAllLines(l.log()).get(2)).matches(STAMPED + "half a line");
    }

    @Test
    void outputWrittenWhileTheGatewayWasDownIsPumpedOnRegistration() throws Exception {
        InstanceLog l = log(1);
        append(l, "written while nobody pumped\n");
        LogPump pump = new LogPump(Duration.ofMillis(20));
        pump.register(l);
        Fixture.await("pumped", Duration.ofSeconds(2), () -> Files.exists(l.log()) && l.tail(5).size() == 1);
        assertThat(InstanceLog.read(dir.resolve("logs"), OptionalInt.empty(), Optional.empty(), 10))
                .singleElement().satisfies(s -> assertThat(s).matches(STAMPED + "\\[1\\] written while nobody pumped"));
        append(l, "no newline at exit");
        pump.unregister(l);
        assertThat(l.tail(1)).containsExactly("no newline at exit");
    }

    @Test
    void tailJoinsPumpedAndNotYetPumpedLines() throws Exception {
        InstanceLog l = log(1);
        append(l, "one\ntwo\n");
        l.pumpOnce();
        append(l, "three\nfour");
        assertThat(l.tail(3)).containsExactly("two", "three", "four");
        assertThat(l.tail(10)).containsExactly("one", "two", "three", "four");
    }

    @Test
    void readMergesInstancesByTimeAndFiltersByInstanceAndSince() throws Exception {
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        Files.writeString(logs.resolve("1.log"), """
                2026-12-02T08:00:00.000Z a1
                2026-12-02T08:00:02.000Z a2
                2026-12-02T08:00:04.000Z a3
                """);
        Files.writeString(logs.resolve("1.log.1"), "2026-12-02T07:59:00.000Z a0\n");
        Files.writeString(logs.resolve("2.log"), """
                2026-12-02T08:00:01.000Z b1
                2026-12-02T08:00:03.000Z b2
                """);
        assertThat(InstanceLog.read(logs, OptionalInt.empty(), Optional.empty(), 100)).containsExactly(
                "2026-12-02T07:59:00.000Z [1] a0",
                "2026-12-02T08:00:00.000Z [1] a1",
                "2026-12-02T08:00:01.000Z [2] b1",
                "2026-12-02T08:00:02.000Z [1] a2",
                "2026-12-02T08:00:03.000Z [2] b2",
                "2026-12-02T08:00:04.000Z [1] a3");
        assertThat(InstanceLog.read(logs, OptionalInt.empty(), Optional.empty(), 2)).containsExactly(
                "2026-12-02T08:00:03.000Z [2] b2",
                "2026-12-02T08:00:04.000Z [1] a3");
        assertThat(InstanceLog.read(logs, OptionalInt.of(2), Optional.empty(), 100)).containsExactly(
                "2026-12-02T08:00:01.000Z [2] b1",
                "2026-12-02T08:00:03.000Z [2] b2");
        assertThat(InstanceLog.read(logs, OptionalInt.empty(), Optional.of(Instant.parse("2026-12-02T08:00:02.500Z")),
                100)).containsExactly(
                "2026-12-02T08:00:03.000Z [2] b2",
                "2026-12-02T08:00:04.000Z [1] a3");
    }

    @Test
    void rotationKeepsThreeOldFilesOfAtMost5MiB() throws Exception {
        InstanceLog l = log(1);
        String line = "y".repeat(99) + "\n";
        String chunk = line.repeat(20_000); // 2 MB
        for (int i = 0; i < 12; i++) {
            append(l, chunk);
            l.pumpOnce();
            l.endPeriod(); // one chunk per 200 ms period: a steady writer, not a flood
        }
        Path logs = dir.resolve("logs");
        try (Stream<Path> s = Files.list(logs)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("1.log", "1.log.1", "1.log.2", "1.log.3");
        }
        for (String name : List.of("1.log", "1.log.1", "1.log.2", "1.log.3")) {
            assertThat(Files.size(logs.resolve(name))).isLessThanOrEqualTo(InstanceLog.ROTATE_BYTES);
        }
    }

    @Test
    void aFloodInOneTickKeepsOnlyItsLastMebibyte() throws Exception {
        InstanceLog l = log(1);
        String line = "z".repeat(99) + "\n";
        append(l, "first\n" + line.repeat(100_000) + "last\n"); // 10 MB
        l.pumpOnce();
        assertThat(l.flooding()).isTrue();
        assertThat(Files.size(l.raw())).isZero();
        l.endPeriod();
        List<String> lines = Files.readAllLines(l.log());
        assertThat(lines.get(0)).matches(STAMPED + "\\[skewgate: \\d+ bytes of output skipped\\]");
        long skipped = Long.parseLong(lines.get(0).replaceAll(".*skewgate: (\\d+) bytes.*", "$1"));
        assertThat(lines.get(lines.size() - 1)).endsWith(" last");
        long kept = (lines.size() - 2) * 100L + 5;
        assertThat(skipped + kept).isEqualTo(6 + 100 * 100_000L + 5);
        assertThat(Files.size(l.log())).isLessThan((1 << 20) + (300 << 10));
    }

    @Test
    void followSendsTheBacklogThenEveryNewLineOnceAcrossARotation() throws Exception {
        InstanceLog l = log(1);
        append(l, "old 1\nold 2\n");
        l.pumpOnce();
        List<String> got = java.util.Collections.synchronizedList(new java.util.ArrayList<>()); // not copy-on-write: 60,000 adds
        AtomicBoolean stop = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try {
                InstanceLog.follow(dir.resolve("logs"), OptionalInt.empty(), Optional.empty(), 1, got::add, stop::get);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        Fixture.await("backlog", Duration.ofSeconds(2), () -> got.size() == 1);
        assertThat(got.get(0)).endsWith("[1] old 2");
        append(l, "new 1\n");
        l.pumpOnce();
        Fixture.await("new line", Duration.ofSeconds(2), () -> got.size() == 2);
        // Push the log past 5 MiB so it rotates; the lines before and after the rotation all arrive once.
        String big = ("r".repeat(99) + "\n").repeat(30_000); // 3 MB
        append(l, big);
        l.pumpOnce();
        append(l, big + "after rotation\n");
        l.pumpOnce();
        assertThat(dir.resolve("logs/1.log.1")).exists();
        Fixture.await("after rotation", Duration.ofSeconds(3), () -> got.size() >= 2 + 60_001);
        assertThat(got).hasSize(2 + 60_001);
        assertThat(got.get(got.size() - 1)).endsWith("[1] after rotation");
        stop.set(true);
        t.join(2000);
    }

    @Test
    void aRealStdoutFloodKeepsTheLogsBounded() throws Exception {
        Fixture f = new Fixture(dir);
        Files.writeString(f.app.resolve("flood.js"), """
                const http = require('http');
                const chunk = ('flood '.repeat(16) + '\\n').repeat(2000);
                http.createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => {
                  const go = () => { for (let i = 0; i < 20; i++) process.stdout.write(chunk); setImmediate(go); };
                  go();
                });
                """);
        try (f) {
            Instance i = f.launch(f.spec(1, "node flood.js"), Fixture.QUICK);
            i.ready().get(10, TimeUnit.SECONDS);
            Path logs = i.spec().logDir();
            long maxLogs = 0;
            long maxRaw = 0;
            long firstRaw = 0;
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos()) {
                maxLogs = Math.max(maxLogs, dirSize(logs));
                long raw = sizeOf(i.spec().rawOutput());
                // Before the first tick sees the flood the raw file grows for up to 200 ms at the writer's speed.
                if (System.nanoTime() - t0 < Duration.ofMillis(500).toNanos()) {
                    firstRaw = Math.max(firstRaw, raw);
                } else {
                    maxRaw = Math.max(maxRaw, raw);
                }
                Thread.sleep(20);
            }
            i.stop(() -> 0).get(5, TimeUnit.SECONDS);
            System.out.printf("flood: logs at most %.1f MiB, raw file at most %.1f MiB in the first 500 ms, %.1f MiB"
                    + " after%n", maxLogs / 1048576.0, firstRaw / 1048576.0, maxRaw / 1048576.0);
            assertThat(maxLogs).isLessThanOrEqualTo(4 * InstanceLog.ROTATE_BYTES + (1 << 20));
            // Bounded by what the writer manages between two of the pump's ticks (node writes about 1.3 GB/s to this
            // machine's tmp, so without the pump the file would reach GBs in these 3 s). How far it gets between two
            // ticks depends on how the two processes are scheduled: 72 MB was seen once in a full CI run, 64 MB was
            // too tight a bound, so the bound says "bounded" and no more.
            assertThat(maxRaw).as("the pump keeps emptying a flooding file").isLessThan(256L << 20);
            assertThat(InstanceLog.read(logs, OptionalInt.of(1), Optional.empty(), 100_000))
                    .anySatisfy(s -> assertThat(s).contains("bytes of output skipped"));
        }
    }

    private static long dirSize(Path d) throws IOException {
        if (!Files.exists(d)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.mapToLong(InstanceLogTest::sizeOf).sum();
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

}
