package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deploy hash cache: an unchanged file is not read again, and every way a build tool or a user changes a file
 * behind the cache's back (same size, old mtime put back, replaced by a rename) is caught. Which files were read is
 * seen through the hasher the cache calls (the real sha256, recorded).
 */
class HashCacheTest {

    @TempDir Path dir;
    Path build;
    Path cacheFile;
    final List<String> read = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void build() throws IOException {
        build = Files.createDirectories(dir.resolve("dist"));
        cacheFile = dir.resolve("cache/deploy-hashes");
        write("index.html", "<!doctype html>");
        write("assets/app.js", "console.log(1)");
        write("assets/app.css", "body{color:red}");
    }

    private Path write(String rel, String content) throws IOException {
        Path p = build.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content, StandardCharsets.UTF_8);
        // Older than the cache's settling second: a file changed within the last second is never remembered.
        Files.setLastModifiedTime(p, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        return p;
    }

    /** Scans the build with the cache file, saves it as deploy does, and gives sha256 by path. */
    private Map<String, String> deploy() throws IOException {
        read.clear();
        HashCache cache = HashCache.load(cacheFile, true, file -> {
            read.add(build.toAbsolutePath().relativize(file).toString().replace('\\', '/'));
            return BuildScanner.sha256(file);
        });
        List<BuildScanner.Found> found = BuildScanner.scan(build, cache);
        cache.save(List.of(build));
        return found.stream().collect(Collectors.toMap(BuildScanner.Found::path, BuildScanner.Found::sha256));
    }

    private static Map<String, String> truth(Path root, List<String> paths) {
        return paths.stream().collect(Collectors.toMap(Function.identity(), p -> {
            try {
                return BuildScanner.sha256(root.resolve(p));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }));
    }

    /** Waits until the file's ctime is more than a second old, so the cache may remember it (deadline 10 s). */
    private static void settle(Path p) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() * 1_000_000L - HashCache.Stamp.of(p).orElseThrow().ctimeNanos()
                <= 1_000_000_000L) {
            assertThat(System.currentTimeMillis()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private void settleAll() throws Exception {
        try (var files = Files.walk(build)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                settle(p);
            }
        }
    }

    @Test
    void anUnchangedFileIsNotReadAgain() throws Exception {
        settleAll();
        Map<String, String> first = deploy();
        assertThat(read).hasSize(3);
        assertThat(deploy()).isEqualTo(first);
        assertThat(read).isEmpty();
    }

    @Test
    void sameSizeContentWithTheOldMtimePutBackIsHashedAgain() throws Exception {
        settleAll();
        deploy();
        Path js = build.resolve("assets/app.js");
        FileTime mtime = Files.getLastModifiedTime(js);
        Files.writeString(js, "console.log(2)", StandardCharsets.UTF_8); // same length
        Files.setLastModifiedTime(js, mtime); // what `touch -r` or a careful build tool does; ctime moves on anyway
        assertThat(Files.size(js)).isEqualTo(14);
        assertThat(deploy()).isEqualTo(truth(build, List.of("index.html", "assets/app.js", "assets/app.css")));
        assertThat(read).containsExactly("assets/app.js");
    }

    @Test
    void aFileReplacedByARenameWithTheSameSizeAndMtimeIsHashedAgain() throws Exception {
        settleAll();
        deploy();
        Path css = build.resolve("assets/app.css");
        Path next = dir.resolve("app.css.new");
        Files.writeString(next, "body{color:0f0}", StandardCharsets.UTF_8);
        Files.setLastModifiedTime(next, Files.getLastModifiedTime(css));
        Files.move(next, css, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE); // a new inode
        assertThat(deploy()).isEqualTo(truth(build, List.of("index.html", "assets/app.js", "assets/app.css")));
        assertThat(read).containsExactly("assets/app.css");
    }

    @Test
    void aFileChangedWithinTheLastSecondIsNotRemembered() throws Exception {
        Path html = build.resolve("index.html");
        Files.writeString(html, "<!doctype htm1>", StandardCharsets.UTF_8); // ctime is now
        deploy();
        assertThat(Files.readString(cacheFile)).doesNotContain(html.toAbsolutePath().toString());
        deploy();
        assertThat(read).contains("index.html");
    }

    @Test
    void aCorruptCacheIsIgnored() throws Exception {
        settleAll();
        Map<String, String> first = deploy();
        Files.write(cacheFile, new byte[] {0, (byte) 0xff, 'x', '\n', 1, 2, 3});
        assertThat(deploy()).isEqualTo(first);
        assertThat(read).hasSize(3);
        assertThat(Files.readAllLines(cacheFile).get(0)).isEqualTo(HashCache.HEADER);
        deploy();
        assertThat(read).isEmpty();
    }

    @Test
    void aDamagedLineCostsOnlyHashingItsFileAgain() throws Exception {
        settleAll();
        Map<String, String> first = deploy();
        String js = build.resolve("assets/app.js").toAbsolutePath().toString();
        String damaged = Files.readAllLines(cacheFile).stream()
                .map(l -> l.endsWith(" " + js) ? l.replaceAll(" [0-9a-f]{64} ", " nothex ") : l)
                .collect(Collectors.joining("\n", "", "\n"));
        Files.writeString(cacheFile, damaged);
        assertThat(deploy()).isEqualTo(first);
        assertThat(read).containsExactly("assets/app.js");
    }

    @Test
    void entriesOfOtherFoldersSurviveAndGoneFilesOfThisOneAreDropped() throws Exception {
        settleAll();
        deploy();
        Path other = Files.createDirectories(dir.resolve("other"));
        Files.writeString(other.resolve("a.txt"), "a");
        Files.setLastModifiedTime(other.resolve("a.txt"), FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        settle(other.resolve("a.txt"));
        HashCache cache = HashCache.load(cacheFile, true, BuildScanner::sha256);
        BuildScanner.scan(other, cache);
        cache.save(List.of(other));
        Files.delete(build.resolve("assets/app.css"));
        deploy();
        String saved = Files.readString(cacheFile);
        assertThat(saved).contains(other.resolve("a.txt").toAbsolutePath().toString())
                .contains(build.resolve("assets/app.js").toAbsolutePath().toString())
                .doesNotContain(build.resolve("assets/app.css").toAbsolutePath().toString());
    }

    @Test
    void theLintsOriginsOfAnUnchangedFileComeFromTheCacheAndTheSitesHostsAreLeftOutAtUse() throws Exception {
        write("assets/api.js", "fetch('https://api.example.com/v1');fetch('https://shop.example.com/x')");
        settleAll();
        HashCache first = HashCache.load(cacheFile, true);
        List<BuildScanner.Found> files = BuildScanner.scan(build, first);
        assertThat(BuildLint.findings(files, List.of("shop.example.com"), first))
                .extracting(BuildLint.Finding::origin).containsExactly("https://api.example.com");
        first.save(List.of(build));
        assertThat(Files.readString(cacheFile)).contains(" https://api.example.com,https://shop.example.com ");

        HashCache second = HashCache.load(cacheFile, true);
        List<BuildScanner.Found> again = BuildScanner.scan(build, second);
        assertThat(second.origins(build.resolve("assets/api.js"))).get()
                .isEqualTo(List.of("https://api.example.com", "https://shop.example.com"));
        assertThat(BuildLint.findings(again, List.of("api.example.com"), second))
                .extracting(BuildLint.Finding::origin).containsExactly("https://shop.example.com");
    }
}
