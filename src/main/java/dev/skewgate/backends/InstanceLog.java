package dev.skewgate.backends;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One instance's output: the raw file the process appends to ({@code runDir/<index>.out}) and the timestamped log
 * ({@code logDir/<index>.log}, rotated at 5 MiB to {@code .1 .2 .3}) that {@link LogPump} fills from it; and the
 * static readers that merge the logs of a deployment's instances.
 */
public final class InstanceLog {

    static final long ROTATE_BYTES = 5L << 20;
    static final int KEEP_ROTATED = 3;
    /** More new output than this in one tick is a flood: only its last {@link #FLOOD_KEEP} bytes are kept. */
    static final long FLOOD_BYTES = 8L << 20;
    static final int FLOOD_KEEP = 1 << 20;
    /** An unfinished line longer than this is written as it is, so a process printing no newline stays bounded. */
    private static final int MAX_CARRY = 64 << 10;
    private static final long FOLLOW_POLL_MS = 200;
    private static final DateTimeFormatter STAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final int STAMP_LENGTH = 24;
    private static final Pattern LOG_NAME = Pattern.compile("(\\d+)\\.log(?:\\.(\\d))?");

    private final int index;
    private final Path raw;
    private final Path logDir;
    private final Path log;
    private static final long PERIOD_NANOS = 200_000_000L;
    private byte[] carry = new byte[0];
    private long logSize = -1;
    private long periodStart = System.nanoTime();
    private long periodBytes;
    private boolean flooding;
    private long floodSkipped;
    private byte[] floodTail = new byte[0];

    public InstanceLog(int index, Path raw, Path logDir) {
        this.index = index;
        this.raw = raw;
        this.logDir = logDir;
        this.log = logDir.resolve(index + ".log");
    }

    /** One object per raw file, so two instances of one index (a restart's overlap) never pump it twice. */
    private static final Map<Path, InstanceLog> CANONICAL = new ConcurrentHashMap<>();

    /** The log of the instance {@code spec} describes (the same object for every instance of that index). */
    public static InstanceLog of(InstanceSpec spec) {
        return CANONICAL.computeIfAbsent(spec.rawOutput().toAbsolutePath().normalize(),
                p -> new InstanceLog(spec.index(), spec.rawOutput(), spec.logDir()));
    }

    static void forget(InstanceLog log) {
        CANONICAL.remove(log.raw.toAbsolutePath().normalize(), log);
    }

    public int index() {
        return index;
    }

    public Path raw() {
        return raw;
    }

    public Path log() {
        return log;
    }

    /**
     * Moves new complete lines from the raw file into the log and truncates the raw file (copy-truncate). The
     * process keeps writing with O_APPEND, so after the truncate its writes land at the new end (offset 0). The
     * race: bytes written between our last read and the truncate are lost. We re-read until the size stops
     * changing, and bytes that still arrive before the truncate are counted in a
     * {@code [skewgate: N bytes of output skipped]} line; only what lands between that last size check and
     * ftruncate(2) itself (microseconds) goes unnoticed. A rename-based rotation would need the process to
     * reopen its output, which it cannot.
     *
     * <p>A flood (more than 8 MiB new within one 200 ms period) is not copied: from then on, until a period
     * with less, each tick only keeps the last 1 MiB and truncates, and at the end of the period the log gets
     * {@code [skewgate: N bytes of output skipped]} and those last lines. {@link LogPump} ticks a flooding file
     * every few milliseconds so the raw file stays small too.
     *
     * @return the raw bytes consumed
     */
    synchronized long pumpOnce() {
        long now = System.nanoTime();
        if (now - periodStart >= PERIOD_NANOS) {
            endPeriod();
            periodStart = now;
        }
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size == 0) {
                return 0;
            }
            if (flooding || periodBytes + size > FLOOD_BYTES) {
                if (!flooding) {
                    flooding = true;
                    floodSkipped += carry.length; // the unfinished line is cut, not shown half
                    carry = new byte[0];
                }
                int keep = (int) Math.min(size, FLOOD_KEEP);
                ByteArrayOutputStream got = new ByteArrayOutputStream(keep);
                readFrom(ch, size - keep, size, got);
                long end = ch.size();
                ch.truncate(0);
                floodSkipped += (end - keep) + Math.max(0, floodTail.length + keep - FLOOD_KEEP);
                floodTail = lastBytes(concat(floodTail, got.toByteArray(), 0), FLOOD_KEEP);
                periodBytes += end;
                return end;
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            long pos = 0;
            // Read until the file stops growing (bounded: a writer faster than us is a flood, next tick).
            while (true) {
                pos += readFrom(ch, pos, size, got);
                long grown = ch.size();
                if (grown == pos || got.size() > FLOOD_BYTES) {
                    break;
                }
                size = grown;
            }
            long end = ch.size();
            ch.truncate(0);
            periodBytes += end;
            writeLines(concat(carry, got.toByteArray(), 0), true);
            if (end > pos) {
                // Written between our last read and the truncate: lost, but not silently.
                writeSkipped(end - pos);
            }
            return end;
        } catch (NoSuchFileException e) {
            return 0;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pump " + raw, e);
        }
    }

    /** Whether this file is flooding: the pump then ticks it every few milliseconds. */
    synchronized boolean flooding() {
        return flooding;
    }

    /** Ends a 200 ms period: a flood in it is written as the skip line and its last lines. */
    synchronized void endPeriod() {
        if (flooding) {
            byte[] data = floodTail;
            // The kept part starts mid-line: drop up to the first newline so no line is shown cut at its start.
            int nl = indexOf(data, 0, (byte) '\n');
            int from = nl < 0 ? data.length : nl + 1;
            long skipped = floodSkipped + from;
            writeSkipped(skipped);
            writeLines(Arrays.copyOfRange(data, from, data.length), true);
            floodTail = new byte[0];
            floodSkipped = 0;
            // Still flooding if this period brought more than the limit; the next one decides again.
            flooding = periodBytes > FLOOD_BYTES;
        }
        periodBytes = 0;
    }

    /** Writes the complete lines of {@code data} with one timestamp; keeps the unfinished rest as the carry. */
    private void writeLines(byte[] data, boolean keepCarry) {
        String stamp = STAMP.format(Instant.now());
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(data.length + 256, 1 << 20));
        int start = 0;
        for (int nl; (nl = indexOf(data, start, (byte) '\n')) >= 0; start = nl + 1) {
            appendLine(out, stamp, data, start, nl);
            if (out.size() >= 256 << 10) {
                write(out);
            }
        }
        carry = Arrays.copyOfRange(data, start, data.length);
        if (carry.length > MAX_CARRY || !keepCarry && carry.length > 0) {
            appendLine(out, stamp, carry, 0, carry.length);
            carry = new byte[0];
        }
        write(out);
    }

    private void writeSkipped(long bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        appendLine(out, STAMP.format(Instant.now()),
                ("[skewgate: " + bytes + " bytes of output skipped]").getBytes(StandardCharsets.UTF_8), 0, -1);
        write(out);
    }

    private static byte[] lastBytes(byte[] b, int n) {
        return b.length <= n ? b : Arrays.copyOfRange(b, b.length - n, b.length);
    }

    /** Writes an unfinished last line (the process is gone, no newline will come). */
    synchronized void flushCarry() {
        endPeriod();
        if (carry.length > 0) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            appendLine(out, STAMP.format(Instant.now()), carry, 0, carry.length);
            carry = new byte[0];
            write(out);
        }
    }

    /** The last {@code lines} lines this instance wrote, without timestamps: pumped ones and not yet pumped ones. */
    public synchronized List<String> tail(int lines) {
        Deque<String> out = new ArrayDeque<>();
        List<String> pending = new ArrayList<>();
        if (carry.length > 0 || Files.exists(raw)) {
            String rest = new String(carry, StandardCharsets.UTF_8) + readSmall(raw);
            for (String l : rest.split("\n", -1)) {
                pending.add(stripCr(l));
            }
            if (!pending.isEmpty() && pending.get(pending.size() - 1).isEmpty()) {
                pending.remove(pending.size() - 1);
            }
        }
        if (pending.size() < lines) {
            List<String> pumped = lastLines(log, lines - pending.size());
            if (pumped.size() < lines - pending.size()) {
                List<String> older = lastLines(log.resolveSibling(log.getFileName() + ".1"),
                        lines - pending.size() - pumped.size());
                older.forEach(l -> out.add(unstamp(l)));
            }
            pumped.forEach(l -> out.add(unstamp(l)));
        }
        out.addAll(pending);
        while (out.size() > lines) {
            out.removeFirst();
        }
        return List.copyOf(out);
    }

    /**
     * The last {@code maxLines} log lines of a deployment's instances (one, or all), merged by time, each as
     * {@code TIMESTAMP [N] text}; only lines at or after {@code since} when given.
     */
    public static List<String> read(Path logDir, OptionalInt instance, Optional<Instant> since, int maxLines) {
        return readUpTo(logDir, instance, since, maxLines, Map.of());
    }

    /** {@link #follow(Path, OptionalInt, Optional, int, Consumer, BooleanSupplier)} with the last 200 lines first (all since {@code since} when given). */
    public static void follow(Path logDir, OptionalInt instance, Optional<Instant> since, Consumer<String> out,
                              BooleanSupplier stop) throws InterruptedException {
        follow(logDir, instance, since, since.isPresent() ? Integer.MAX_VALUE : 200, out, stop);
    }

    /**
     * Sends the last {@code maxLines} lines to {@code out}, then every new line as it is pumped (polling every
     * 200 ms), until {@code stop} says so. Each line once: the backlog is read up to the same offsets the
     * following starts from, and a rotation between two polls is followed into the {@code .1} file.
     */
    public static void follow(Path logDir, OptionalInt instance, Optional<Instant> since, int maxLines,
                              Consumer<String> out, BooleanSupplier stop) throws InterruptedException {
        Map<Integer, Cursor> cursors = new HashMap<>();
        for (int n : currentLogs(logDir, instance)) {
            cursors.put(n, Cursor.at(logDir.resolve(n + ".log")));
        }
        Map<Integer, Long> limits = new HashMap<>();
        cursors.forEach((n, c) -> limits.put(n, c.offset));
        readUpTo(logDir, instance, since, maxLines, limits).forEach(out);
        while (!stop.getAsBoolean()) {
            Thread.sleep(FOLLOW_POLL_MS);
            List<Entry> fresh = new ArrayList<>();
            for (int n : currentLogs(logDir, instance)) {
                Cursor c = cursors.computeIfAbsent(n, k -> new Cursor(null, 0));
                cursors.put(n, c.advance(logDir.resolve(n + ".log"), n, fresh));
            }
            fresh.sort(Entry.ORDER);
            for (Entry e : fresh) {
                out.accept(e.format());
            }
        }
    }

    /** The last {@code n} lines of a file, read from its end (bounded: at most the last 256 KiB). */
    static List<String> lastLines(Path file, int n) {
        if (n <= 0) {
            return List.of();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            int len = (int) Math.min(size, 256 << 10);
            ByteBuffer buf = ByteBuffer.allocate(len);
            while (buf.hasRemaining() && ch.read(buf, size - len + buf.position()) > 0) {
                // keep reading
            }
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
            if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
                lines.remove(lines.size() - 1);
            }
            if (len < size && !lines.isEmpty()) {
                lines.remove(0); // cut at its start by the window
            }
            List<String> last = lines.subList(Math.max(0, lines.size() - n), lines.size());
            List<String> out = new ArrayList<>(last.size());
            last.forEach(l -> out.add(stripCr(l)));
            return out;
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- reading -----------------------------------------------------------------------------------------------

    private record Entry(Instant at, int instance, long seq, String text) {
        static final Comparator<Entry> ORDER = Comparator.comparing(Entry::at)
                .thenComparingInt(Entry::instance).thenComparingLong(Entry::seq);

        String format() {
            return STAMP.format(at) + " [" + instance + "] " + text;
        }
    }

    private static List<String> readUpTo(Path logDir, OptionalInt instance, Optional<Instant> since, int maxLines,
                                         Map<Integer, Long> limits) {
        if (maxLines <= 0) {
            return List.of();
        }
        Map<Integer, TreeMap<Integer, Path>> files = logFiles(logDir, instance);
        List<Entry> all = new ArrayList<>();
        for (Map.Entry<Integer, TreeMap<Integer, Path>> e : files.entrySet()) {
            int n = e.getKey();
            Deque<Entry> last = new ArrayDeque<>();
            long seq = 0;
            // Oldest first: .3, .2, .1, then the current log (generation 0).
            for (Map.Entry<Integer, Path> f : e.getValue().descendingMap().entrySet()) {
                if (since.isPresent() && modified(f.getValue()).isBefore(since.get())) {
                    continue; // every line in it is older
                }
                long limit = f.getKey() == 0 ? limits.getOrDefault(n, Long.MAX_VALUE) : Long.MAX_VALUE;
                for (String line : readLines(f.getValue(), limit)) {
                    Optional<Entry> entry = parse(line, n, seq++);
                    if (entry.isEmpty() || since.isPresent() && entry.get().at().isBefore(since.get())) {
                        continue;
                    }
                    last.addLast(entry.get());
                    if (last.size() > maxLines) {
                        last.removeFirst();
                    }
                }
            }
            all.addAll(last);
        }
        all.sort(Entry.ORDER);
        List<String> out = new ArrayList<>();
        for (Entry e : all.subList(Math.max(0, all.size() - maxLines), all.size())) {
            out.add(e.format());
        }
        return out;
    }

    /** A position in one instance's current log, by file identity so a rotation is noticed. */
    private record Cursor(Object fileKey, long offset) {
        static Cursor at(Path log) {
            try {
                BasicFileAttributes a = Files.readAttributes(log, BasicFileAttributes.class);
                return new Cursor(a.fileKey(), completeLength(log, a.size()));
            } catch (IOException e) {
                return new Cursor(null, 0);
            }
        }

        Cursor advance(Path log, int n, List<Entry> into) {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(log, BasicFileAttributes.class);
            } catch (IOException e) {
                return this;
            }
            long from = offset;
            if (fileKey != null && !fileKey.equals(a.fileKey())) {
                // Rotated since the last poll: finish the old file (now .1), then read the new one from its start.
                Path rotated = log.resolveSibling(log.getFileName() + ".1");
                try {
                    if (fileKey.equals(Files.readAttributes(rotated, BasicFileAttributes.class).fileKey())) {
                        readRange(rotated, offset, Long.MAX_VALUE, n, into);
                    }
                } catch (IOException e) {
                    // Rotated twice between two polls (a flood): those lines are in .2 and not followed.
                }
                from = 0;
            } else if (a.size() < offset) {
                from = 0;
            }
            long end = readRange(log, from, Long.MAX_VALUE, n, into);
            return new Cursor(a.fileKey(), end);
        }
    }

    /** Reads complete lines of {@code file} from {@code from}; returns the offset after the last complete line. */
    private static long readRange(Path file, long from, long limit, int n, List<Entry> into) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long end = Math.min(ch.size(), limit);
            if (end <= from) {
                return from;
            }
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(end - from, Integer.MAX_VALUE - 16));
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // keep reading
            }
            byte[] b = buf.array();
            int start = 0;
            for (int nl; (nl = indexOf(b, start, (byte) '\n', buf.position())) >= 0; start = nl + 1) {
                parse(new String(b, start, nl - start, StandardCharsets.UTF_8), n, 0).ifPresent(into::add);
            }
            return from + start;
        } catch (IOException e) {
            return from;
        }
    }

    private static long completeLength(Path file, long size) {
        List<Entry> ignored = new ArrayList<>();
        return readRange(file, 0, size, 0, ignored);
    }

    private static List<String> readLines(Path file, long limit) {
        List<String> lines = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long end = Math.min(ch.size(), limit);
            ByteBuffer buf = ByteBuffer.allocate((int) end);
            while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
                // keep reading
            }
            byte[] b = buf.array();
            int start = 0;
            for (int nl; (nl = indexOf(b, start, (byte) '\n', buf.position())) >= 0; start = nl + 1) {
                lines.add(new String(b, start, nl - start, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // Rotated away while we read: its lines are in the next generation.
        }
        return lines;
    }

    private static Optional<Entry> parse(String line, int n, long seq) {
        if (line.length() < STAMP_LENGTH + 1 || line.charAt(STAMP_LENGTH) != ' ') {
            return Optional.empty();
        }
        try {
            return Optional.of(new Entry(Instant.parse(line.substring(0, STAMP_LENGTH)), n, seq,
                    line.substring(STAMP_LENGTH + 1)));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Map<Integer, TreeMap<Integer, Path>> logFiles(Path logDir, OptionalInt instance) {
        Map<Integer, TreeMap<Integer, Path>> files = new TreeMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(logDir)) {
            for (Path p : dir) {
                Matcher m = LOG_NAME.matcher(p.getFileName().toString());
                if (m.matches()) {
                    int n = Integer.parseInt(m.group(1));
                    if (instance.isEmpty() || instance.getAsInt() == n) {
                        int generation = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
                        files.computeIfAbsent(n, k -> new TreeMap<>()).put(generation, p);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    private static List<Integer> currentLogs(Path logDir, OptionalInt instance) {
        List<Integer> out = new ArrayList<>();
        logFiles(logDir, instance).forEach((n, gens) -> {
            if (gens.containsKey(0)) {
                out.add(n);
            }
        });
        return out;
    }

    private static Instant modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toInstant();
        } catch (IOException e) {
            return Instant.MAX;
        }
    }

    // ---- writing -----------------------------------------------------------------------------------------------

    private static void appendLine(ByteArrayOutputStream out, String stamp, byte[] b, int from, int to) {
        int end = to < 0 ? b.length : to;
        if (end > from && b[end - 1] == '\r') {
            end--;
        }
        out.writeBytes(stamp.getBytes(StandardCharsets.US_ASCII));
        out.write(' ');
        out.write(b, from, end - from);
        out.write('\n');
    }

    private void write(ByteArrayOutputStream out) {
        if (out.size() == 0) {
            return;
        }
        try {
            if (logSize < 0) {
                Files.createDirectories(logDir);
                logSize = Files.exists(log) ? Files.size(log) : 0;
            }
            if (logSize > 0 && logSize + out.size() > ROTATE_BYTES) {
                rotate();
            }
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                ByteBuffer buf = ByteBuffer.wrap(out.toByteArray());
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            logSize += out.size();
            out.reset();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + log, e);
        }
    }

    private void rotate() throws IOException {
        for (int g = KEEP_ROTATED; g >= 1; g--) {
            Path from = g == 1 ? log : log.resolveSibling(log.getFileName() + "." + (g - 1));
            Path to = log.resolveSibling(log.getFileName() + "." + g);
            if (Files.exists(from)) {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        logSize = 0;
    }

    // ---- bytes -------------------------------------------------------------------------------------------------

    private static long readFrom(FileChannel ch, long pos, long end, ByteArrayOutputStream into) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        long read = 0;
        while (pos + read < end) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), end - pos - read));
            int r = ch.read(buf, pos + read);
            if (r <= 0) {
                break;
            }
            into.write(buf.array(), 0, r);
            read += r;
        }
        return read;
    }

    private static int indexOf(byte[] b, int from, byte x) {
        return indexOf(b, from, x, b.length);
    }

    private static int indexOf(byte[] b, int from, byte x, int end) {
        for (int i = from; i < end; i++) {
            if (b[i] == x) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b, int bFrom) {
        byte[] out = new byte[a.length + b.length - bFrom];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, bFrom, out, a.length, b.length - bFrom);
        return out;
    }

    private static String readSmall(Path file) {
        try {
            long size = Files.size(file);
            if (size > 256 << 10) {
                return String.join("\n", lastLines(file, 200)) + "\n";
            }
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String unstamp(String line) {
        return line.length() > STAMP_LENGTH && line.charAt(STAMP_LENGTH) == ' ' ? line.substring(STAMP_LENGTH + 1) : line;
    }

    private static String stripCr(String l) {
        return l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
    }
}
