package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A backend folder read for upload, on real folders: real links, a real FIFO and socket, a real npm tree. */
class BackendScanTest {

    @TempDir
    Path dir;

    private Path server() throws IOException {
        Path root = Files.createDirectories(dir.resolve("server"));
        Files.writeString(root.resolve("index.js"), "require('http').createServer().listen(process.env.PORT)\n");
        Files.createDirectories(root.resolve("bin"));
        Files.writeString(root.resolve("bin/start.sh"), "#!/bin/sh\nexec node index.js\n");
        Files.setPosixFilePermissions(root.resolve("bin/start.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(root.resolve("node_modules/dep/bin"));
        Files.writeString(root.resolve("node_modules/dep/index.js"), "module.exports = 1\n");
        Files.writeString(root.resolve("node_modules/dep/bin/dep.js"), "#!/usr/bin/env node\n");
        Files.setPosixFilePermissions(root.resolve("node_modules/dep/bin/dep.js"),
                PosixFilePermissions.fromString("rwxr--r--"));
        Files.createDirectories(root.resolve("node_modules/.bin"));
        Files.createSymbolicLink(root.resolve("node_modules/.bin/dep"), Path.of("../dep/bin/dep.js"));
        Files.createDirectories(root.resolve(".git/objects"));
        Files.writeString(root.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        return root;
    }

    @Test
    void filesKeepTheirExecutableBitLinksStayLinksAndGitIsSkipped() throws IOException {
        Path root = server();
        BuildScanner.Backend b = BuildScanner.scanBackend(root);
        assertThat(b.files()).extracting(f -> f.found().path() + " " + f.mode()).containsExactly(
                "bin/start.sh exec", "index.js file", "node_modules/dep/bin/dep.js exec", "node_modules/dep/index.js file");
        assertThat(b.links()).containsExactly(new BuildScanner.Link("node_modules/.bin/dep", "../dep/bin/dep.js"));
        BuildScanner.BackendFile index = b.files().get(1);
        assertThat(index.found().size()).isEqualTo(Files.size(root.resolve("index.js")));
        assertThat(index.found().sha256()).isEqualTo(dev.skewgate.model.Sha256.hex(Files.readAllBytes(root.resolve("index.js"))));
    }

    @Test
    void aLinkToAFolderIsRecordedNotFollowed() throws IOException {
        Path root = server();
        Files.createSymbolicLink(root.resolve("lib"), Path.of("node_modules/dep"));
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("not-there-yet.js"));
        BuildScanner.Backend b = BuildScanner.scanBackend(root);
        assertThat(b.links()).extracting(BuildScanner.Link::path).containsExactly("dangling", "lib", "node_modules/.bin/dep");
        assertThat(b.files()).extracting(f -> f.found().path()).noneMatch(p -> p.startsWith("lib/"));
    }

    @Test
    void aBackendFolderThatIsItselfALinkIsReadThroughIt() throws IOException {
        Path real = server();
        Path link = Files.createSymbolicLink(dir.resolve("api"), real);
        assertThat(BuildScanner.scanBackend(link).files()).hasSize(4);
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            escape            | ../../etc/passwd        | climbs out from the top folder
            sub/escape        | ../../outside.js        | climbs out from a sub-folder
            sub/sneaky        | ../sub/../../x          | back in, then out
            parent            | ..                      | the parent folder itself
            absolute          | /etc/passwd             | an absolute path
            sub/absolute      | /work                   | an absolute folder
            """)
    void aLinkLeavingTheFolderIsRefusedWithItsPath(String link, String target, String why) throws IOException {
        Path root = server();
        Files.createDirectories(root.resolve("sub"));
        Files.createSymbolicLink(root.resolve(link), Path.of(target));
        assertThatThrownBy(() -> BuildScanner.scanBackend(root)).isInstanceOf(CliException.class)
                .hasMessageContaining("the link " + link + " -> " + target)
                .hasMessageContaining(target.startsWith("/") ? "absolute path" : "points outside the folder");
    }

    @ParameterizedTest(name = "{0} -> {1} with {2} -> {3}: {4}")
    @CsvSource(delimiter = '|', textBlock = """
            sneak      | here/../secret     | here         | .             | through a link to its own folder, then up
            sub/sneak  | up/../../x         | sub/up       | ..            | a link to the parent, then up twice
            hop        | sub/jump/../x      | sub/jump     | ..            | down, through a link up to the top, then up
            """)
    void aLinkLeavingTheFolderThroughAnotherLinkIsRefused(String link, String target, String via, String viaTarget,
                                                          String why) throws IOException {
        Path root = server();
        Files.createDirectories(root.resolve("sub"));
        Files.createSymbolicLink(root.resolve(via), Path.of(viaTarget));
        Files.createSymbolicLink(root.resolve(link), Path.of(target));
        assertThatThrownBy(() -> BuildScanner.scanBackend(root)).isInstanceOf(CliException.class)
                .hasMessageContaining("the link " + link + " -> " + target).hasMessageContaining("points outside");
    }

    @Test
    void linksThroughLinksThatStayInsideAndLoopsAreKept() throws IOException {
        Path root = server();
        Files.createDirectories(root.resolve("sub/deep"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("sub/deep"));
        Files.createSymbolicLink(root.resolve("main.js"), Path.of("lib/../deep/x.js"));
        Files.createSymbolicLink(root.resolve("loop-a"), Path.of("loop-b"));
        Files.createSymbolicLink(root.resolve("loop-b"), Path.of("loop-a/x"));
        assertThat(BuildScanner.scanBackend(root).links()).extracting(BuildScanner.Link::path)
                .contains("lib", "main.js", "loop-a", "loop-b");
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            sub/up            | ../index.js             | up to the top folder is still inside
            sub/self          | .                       | its own folder
            sub/deep/x        | ../../node_modules      | two up from two down
            top               | ./sub/../index.js       | a detour that stays inside
            """)
    void aLinkStayingInsideIsKept(String link, String target, String why) throws IOException {
        Path root = server();
        Files.createDirectories(root.resolve("sub/deep"));
        Files.createSymbolicLink(root.resolve(link), Path.of(target));
        assertThat(BuildScanner.scanBackend(root).links()).contains(new BuildScanner.Link(link, target));
    }

    @Test
    void aFifoIsRefusedNamingItsPathAndNothingBlocks() throws Exception {
        Path root = server();
        Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("bin/queue").toString()).start();
        assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();
        assertThatThrownBy(() -> BuildScanner.scanBackend(root)).isInstanceOf(CliException.class)
                .hasMessageContaining("cannot deploy bin/queue").hasMessageContaining("device, FIFO or socket");
    }

    @Test
    void aSocketIsRefusedNamingItsPath() throws Exception {
        Path root = server();
        try (ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            socket.bind(UnixDomainSocketAddress.of(root.resolve("app.sock")));
            assertThatThrownBy(() -> BuildScanner.scanBackend(root)).isInstanceOf(CliException.class)
                    .hasMessageContaining("cannot deploy app.sock");
        }
    }

    @Test
    void aDeviceIsRefusedNamingItsPath() throws Exception {
        // Making a device node needs root; a link to /dev/null is refused as absolute instead. When this runs as
        // root, a real character device is made with mknod.
        Path root = server();
        Process mknod = new ProcessBuilder("mknod", root.resolve("null").toString(), "c", "1", "3")
                .redirectErrorStream(true).start();
        assumeThat(mknod.waitFor(10, TimeUnit.SECONDS) && mknod.exitValue() == 0)
                .as("mknod needs root: " + new String(mknod.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isTrue();
        assertThatThrownBy(() -> BuildScanner.scanBackend(root)).isInstanceOf(CliException.class)
                .hasMessageContaining("cannot deploy null").hasMessageContaining("device, FIFO or socket");
    }

    @Test
    void aFolderWithoutFilesIsRefused() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.createSymbolicLink(empty.resolve("only-a-link"), Path.of("x"));
        assertThatThrownBy(() -> BuildScanner.scanBackend(empty)).hasMessageContaining("holds no files");
        assertThatThrownBy(() -> BuildScanner.scanBackend(dir.resolve("missing"))).hasMessageContaining("is not a folder");
    }

    /**
     * A tree as npm installs it: {@code node_modules/.bin} holds relative links to the packages' scripts, which are
     * executable. A {@code file:} dependency is a link out of the folder and is refused. Needs npm and its registry
     * (or a warm cache); skipped with the reason when the install cannot run here.
     */
    @Test
    void aRealNpmInstallIsReadWithItsBinLinksAndAFileDependencyIsRefused() throws Exception {
        Path example = Path.of("examples/vite-vue");
        Path project = Files.createDirectories(dir.resolve("repo/examples/app"));
        Files.copy(example.resolve("package.json"), project.resolve("package.json"));
        Files.copy(example.resolve("package-lock.json"), project.resolve("package-lock.json"));
        // The example depends on file:../../sdk; only its package.json is needed for npm to link it.
        Files.createDirectories(dir.resolve("repo/sdk"));
        Files.copy(Path.of("sdk/package.json"), dir.resolve("repo/sdk/package.json"));
        Process npm;
        try {
            npm = new ProcessBuilder("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline")
                    .directory(project.toFile()).redirectErrorStream(true).start();
        } catch (IOException noNpm) {
            assumeThat(false).as("npm is not on PATH").isTrue();
            return;
        }
        String log = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeThat(npm.waitFor(3, TimeUnit.MINUTES) && npm.exitValue() == 0).as("npm ci failed: " + log).isTrue();

        assertThatThrownBy(() -> BuildScanner.scanBackend(project)).isInstanceOf(CliException.class)
                .hasMessageContaining("the link node_modules/@skewgate/sdk -> ../../../../sdk")
                .hasMessageContaining("points outside the folder");

        Files.delete(project.resolve("node_modules/@skewgate/sdk"));
        BuildScanner.Backend b = BuildScanner.scanBackend(project);
        assertThat(b.links()).contains(new BuildScanner.Link("node_modules/.bin/vite", "../vite/bin/vite.js"));
        assertThat(b.links()).allMatch(l -> l.path().startsWith("node_modules/.bin/") && l.target().startsWith("../"));
        assertThat(b.files()).filteredOn(f -> f.found().path().equals("node_modules/vite/bin/vite.js"))
                .singleElement().extracting(BuildScanner.BackendFile::mode).isEqualTo("exec");
        try (var walk = Files.walk(project)) {
            long regular = walk.filter(p -> Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).count();
            assertThat(b.files()).as("every regular file, node_modules included").hasSize((int) regular);
        }
        List<String> paths = b.files().stream().map(f -> f.found().path()).toList();
        assertThat(paths).contains("package.json", "node_modules/vue/package.json");
    }
}
