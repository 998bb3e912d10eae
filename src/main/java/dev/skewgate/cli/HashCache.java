package dev.skewgate.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The sha256 of files that {@code deploy} hashed before (and the origins its lint found in them), so that an
 * unchanged file of the next deploy is not read again. An entry is keyed by the file's absolute path and holds what the kernel says about it: size, mtime, ctime
 * (nanoseconds), inode and device. Any difference means re-hashing: a build tool that rewrites a file of the same size
 * and puts its old mtime back ({@code touch -r}) still changes its ctime, which no user call can set, and a file
 * replaced by a rename has another inode. A file whose ctime is not at least a second in the past when it is hashed
 * is not remembered: a write in that same second could leave every attribute as it was.
 *
 * <p>The file is text, one entry a line, written to a temporary file and renamed over the old one, so a crash leaves
 * the old or the new cache whole; a line that does not parse (a cache from another version, a broken disk) is skipped
 * and a cache that cannot be read or written at all costs only the hashing.
 */
final class HashCache {

    /** The first line of the file; another first line means another format, and the file is ignored. */
    static final String HEADER = "skewgate-hash-cache 2";
    private static final long SETTLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** What the kernel says about a file; equal stamps mean unchanged content. */
    record Stamp(long size, long mtimeNanos, long ctimeNanos, long inode, long device) {

        /** The stamp of a regular file, or empty where the file system has no inode and ctime (not POSIX). */
        static Optional<Stamp> of(Path file) {
            Map<String, Object> a;
            try {
                a = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,ino,dev",
                        java.nio.file.LinkOption.NOFOLLOW_LINKS);
            } catch (UnsupportedOperationException | IllegalArgumentException | IOException notUnix) {
                return Optional.empty();
            }
            return Optional.of(new Stamp((Long) a.get("size"), nanos((FileTime) a.get("lastModifiedTime")),
                    nanos((FileTime) a.get("ctime")), (Long) a.get("ino"), (Long) a.get("dev")));
        }

        private static long nanos(FileTime t) {
            return t.to(TimeUnit.NANOSECONDS);
        }
    }

    /** A file's sha256, and the origins {@link BuildLint} found in it when it is a file it reads. */
    private record Entry(Stamp stamp, String sha256, Optional<List<String>> origins) {
    }

    /** At most this many entries of folders other than the deployed one are kept (a CI machine's old checkouts). */
    private static final int MAX_OTHER_ENTRIES = 200_000;

    /** Where it is saved; empty for a cache that only hashes. */
    private final Optional<Path> file;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final Map<String, Entry> used = new ConcurrentHashMap<>();

    /** Whether entries are used; when not, every file is hashed and the entries of the deployed folders renewed. */
    private final boolean trusted;

    /** How a file is read and hashed when the cache cannot answer. */
    interface Hasher {
        String sha256(Path file) throws IOException;
    }

    private final Hasher hasher;

    private HashCache(Optional<Path> file, boolean trusted, Hasher hasher) {
        this.file = file;
        this.trusted = trusted;
        this.hasher = hasher;
    }

    /** A cache that remembers nothing: every file is read and hashed. */
    static HashCache disabled() {
        return new HashCache(Optional.empty(), false, BuildScanner::sha256);
    }

    /**
     * Where the cache lives: {@code $SKEWGATE_CACHE_DIR}, else {@code $XDG_CACHE_HOME/skewgate}, else
     * {@code ~/.cache/skewgate}; the file is {@code deploy-hashes}.
     */
    static Path defaultFile() {
        String dir = System.getProperty("skewgate.cache.dir", System.getenv("SKEWGATE_CACHE_DIR"));
        if (dir == null || dir.isBlank()) {
            String xdg = System.getenv("XDG_CACHE_HOME");
            dir = xdg != null && !xdg.isBlank() ? Path.of(xdg, "skewgate").toString()
                    : Path.of(System.getProperty("user.home"), ".cache", "skewgate").toString();
        }
        return Path.of(dir, "deploy-hashes");
    }

    /**
     * The cache in {@code file}; a missing, unreadable or foreign file is an empty cache. Not {@code trusted}, it
     * hashes every file (and renews what it knew of them).
     */
    static HashCache load(Path file, boolean trusted) {
        return load(file, trusted, BuildScanner::sha256);
    }

    /** As {@link #load(Path, boolean)}, reading files with {@code hasher}. */
    static HashCache load(Path file, boolean trusted, Hasher hasher) {
        HashCache cache = new HashCache(Optional.of(file), trusted, hasher);
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            if (!HEADER.equals(in.readLine())) {
                return cache;
            }
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                cache.parse(line);
            }
        } catch (IOException | RuntimeException unreadable) {
            cache.entries.clear(); // a cache that cannot be trusted whole is not used at all
        }
        return cache;
    }

    /**
     * One line: size mtime ctime inode device sha256 origins path (the path last: it may hold spaces). origins is
     * {@code ?} when not looked for, {@code -} for none, else comma-separated (an origin holds neither).
     */
    private void parse(String line) {
        String[] f = line.split(" ", 8);
        if (f.length != 8 || f[5].length() != 64 || !f[5].chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
            return;
        }
        try {
            Stamp s = new Stamp(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                    Long.parseLong(f[4]));
            Optional<List<String>> origins = f[6].equals("?") ? Optional.empty()
                    : Optional.of(f[6].equals("-") ? List.of() : List.of(f[6].split(",")));
            entries.put(f[7], new Entry(s, f[5], origins));
        } catch (NumberFormatException skipped) {
            // a damaged line: that file is hashed again
        }
    }

    /** The sha256 of {@code file}, from the cache when its stamp is unchanged, else read and hashed. */
    String sha256(Path path) throws IOException {
        Path absolute = path.toAbsolutePath().normalize();
        String key = absolute.toString();
        Optional<Stamp> before = Stamp.of(absolute);
        Entry known = entries.get(key);
        if (file.isEmpty()) {
            return hasher.sha256(absolute);
        }
        if (trusted && before.isPresent() && known != null && known.stamp().equals(before.get())) {
            used.put(key, known);
            return known.sha256();
        }
        String sha = hasher.sha256(absolute);
        Optional<Stamp> after = Stamp.of(absolute);
        // Remembered only when nothing changed while it was read, and its last change is old enough that a write
        // in the same clock tick (which would leave the stamp as it is) cannot follow unseen.
        if (before.isPresent() && before.equals(after)
                && System.currentTimeMillis() * 1_000_000L - before.get().ctimeNanos() > SETTLE_NANOS) {
            used.put(key, new Entry(before.get(), sha, Optional.empty()));
        }
        return sha;
    }

    /** The origins remembered for a file whose sha256 this cache gave in this run, unchanged since. */
    Optional<List<String>> origins(Path path) {
        Entry e = used.get(path.toAbsolutePath().normalize().toString());
        return e == null ? Optional.empty() : e.origins();
    }

    /** Remembers the origins found in a file this cache hashed in this run (others are not remembered). */
    void origins(Path path, List<String> origins) {
        used.computeIfPresent(path.toAbsolutePath().normalize().toString(),
                (k, e) -> new Entry(e.stamp(), e.sha256(), Optional.of(List.copyOf(origins))));
    }

    /**
     * Writes the entries of files of other folders as they were and those of this run's files as just seen
     * (files of this run's folders that are gone are dropped), by a temporary file and an atomic rename.
     * A failure is not the deploy's: it only means hashing again next time.
     */
    void save(java.util.Collection<Path> scannedRoots) {
        java.util.List<String> roots = scannedRoots.stream()
                .map(r -> r.toAbsolutePath().normalize().toString() + java.io.File.separator).toList();
        if (file.isEmpty()) {
            return;
        }
        Path target = file.get().toAbsolutePath();
        Path tmp = null;
        try {
            Path dir = target.getParent();
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "deploy-hashes", ".tmp");
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                out.write(HEADER + "\n");
                int others = 0;
                for (Map.Entry<String, Entry> e : entries.entrySet()) {
                    if (!used.containsKey(e.getKey()) && roots.stream().noneMatch(e.getKey()::startsWith)
                            && others++ < MAX_OTHER_ENTRIES) {
                        write(out, e.getKey(), e.getValue());
                    }
                }
                for (Map.Entry<String, Entry> e : used.entrySet()) {
                    write(out, e.getKey(), e.getValue());
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temporary file stays; the next save writes another
                }
            }
        }
    }

    private static void write(Writer out, String path, Entry e) throws IOException {
        if (path.indexOf('\n') >= 0 || path.indexOf('\r') >= 0) {
            return; // a line break in a name would split the line: such a file is simply hashed each time
        }
        Stamp s = e.stamp();
        String origins = e.origins().map(o -> o.isEmpty() ? "-" : String.join(",", o)).orElse("?");
        if (origins.indexOf(' ') >= 0 || origins.indexOf('\n') >= 0) {
            origins = "?";
        }
        out.write(s.size() + " " + s.mtimeNanos() + " " + s.ctimeNanos() + " " + s.inode() + " " + s.device() + " "
                + e.sha256() + " " + origins + " " + path + "\n");
    }
}
