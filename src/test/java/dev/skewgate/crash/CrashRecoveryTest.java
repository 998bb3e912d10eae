package dev.skewgate.crash;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.crash.ChildGateway.EdgeReply;
import dev.skewgate.crash.ChildGateway.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/**
 * Kills a gateway running in a child JVM with SIGKILL in the middle of a blob upload and in the middle of
 * activations, restarts it on the same data directory, and checks that nothing half-done is visible: the last
 * committed deployment serves, exactly one deployment is active, no partial blob exists, and SQLite is intact.
 */
class CrashRecoveryTest {

    private static final String SITE = "shop";
    private static final String HOST = "shop.localhost";
    private static final int BIG_BLOB_BYTES = 64 << 20;
    private static final int KILL_ROUNDS = 5;
    private static final Pattern META = Pattern.compile("<meta name=\"skewgate-deployment\" content=\"([^\"]*)\">");

    @TempDir
    Path temp;

    private Path dataDir;
    private Path log;
    private ChildGateway gateway;

    @BeforeEach
    void chooseDataDirectory() {
        dataDir = temp.resolve("data");
        log = temp.resolve("gateway.log");
    }

    @AfterEach
    void killGateway() throws InterruptedException {
        if (gateway != null) {
            gateway.kill();
        }
    }

    @Test
    void killDuringBlobUploadLeavesNoHalfBlobNorHalfDeploymentAndPreviousVersionServes() throws Exception {
        startGateway();
        createSite();
        String v1 = deploy(build("v1"), Map.of());
        activate(v1);
        assertServes(v1, "v1");

        long seed = System.nanoTime();
        Path big = temp.resolve("big.bin");
        String bigSha = writeRandomFile(big, BIG_BLOB_BYTES, seed);
        Map<String, byte[]> v2Files = build("v2");
        Reply begun = beginDeployment(v2Files, Map.of("big.bin", new BigFile(bigSha, BIG_BLOB_BYTES)), "v2");
        String v2 = begun.body().path("deployment").path("id").asText();
        assertThat(texts(begun.body().path("missing"))).as("blobs v2 still needs").contains(bigSha);
        uploadSmallBlobs(v2, v2Files, texts(begun.body().path("missing")));

        killWhileUploading(v2, bigSha, big);

        assertThat(blobFile(bigSha)).as("the big blob must not exist under its name after a partial upload")
                .doesNotExist();
        assertEveryBlobHashesToItsName();
        assertThat(bytesPersisted(bigSha)).as("bytes of the big blob in the temp folder at the kill (seed %d)", seed)
                .isPositive().isLessThan(BIG_BLOB_BYTES);

        startGateway();
        assertThat(tempUploads()).as("half-written uploads are removed at start").isEmpty();
        assertThat(blobFile(bigSha)).doesNotExist();
        assertEveryBlobHashesToItsName();
        assertOnlyActiveIs(v1);
        assertThat(listedDeploymentIds()).as("an unfinalized upload is not listed").doesNotContain(v2);
        assertServes(v1, "v1");
        Reply activateV2 = gateway.post("/v1/sites/" + SITE + "/activate", Map.of("deployment", v2));
        assertThat(activateV2.status()).as("activating the interrupted upload: %s", activateV2.body()).isEqualTo(409);
        assertThat(activateV2.error()).isEqualTo("NOT_FINALIZED");
        Reply finalizeV2 = gateway.post("/v1/deployments/" + v2 + "/finalize", Map.of());
        assertThat(finalizeV2.status()).as("finalizing the interrupted upload: %s", finalizeV2.body()).isEqualTo(409);
        assertThat(finalizeV2.error()).isEqualTo("BLOBS_MISSING");
        assertDatabaseIntact();
        assertThat(databaseState(v2)).as("the interrupted deployment's row").isEqualTo("uploading");

        // The gateway still takes a complete upload of the same big blob after the crash.
        String v3 = deploy(build("v3"), Map.of("big.bin", new BigFile(bigSha, BIG_BLOB_BYTES)), big);
        activate(v3);
        assertServes(v3, "v3");
        assertThat(downloadSha("/big.bin")).as("the big file served after a fresh upload").isEqualTo(bigSha);
        assertEveryBlobHashesToItsName();
        assertDatabaseIntact();
    }

    @Test
    void killDuringActivationsLeavesExactlyOneWholeDeploymentActive() throws Exception {
        startGateway();
        createSite();
        List<String> all = List.of(deploy(build("v1"), Map.of()), deploy(build("v2"), Map.of()),
                deploy(build("v3"), Map.of()));
        activate(all.get(0));
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int interruptedRequests = 0;

        for (int round = 1; round <= KILL_ROUNDS; round++) {
            String where = "round " + round + " of seed " + seed;
            ActivationLoop loop = ActivationLoop.start(gateway, SITE, all, newestSwitch().orElseThrow(),
                    random.nextLong());
            assertThat(loop.awaitFirstChange(10, TimeUnit.SECONDS)).as("%s: the loop switched at least once; %s",
                    where, loop.problems()).isTrue();
            Thread.sleep(50 + random.nextInt(451)); // the random moment of the crash
            gateway.kill();
            assertThat(loop.awaitEnd(20, TimeUnit.SECONDS)).as("%s: the loop stops once the gateway is gone", where)
                    .isTrue();
            assertThat(loop.problems()).as("%s: answers of the gateway before the crash", where).isEmpty();
            interruptedRequests += loop.interruptedMidRequest() ? 1 : 0;
            Set<String> allowed = loop.possiblyActive();

            startGateway();
            String active = site().path("activeDeployment").asText();
            assertThat(active).as("%s: after %d acknowledged switches the active deployment is the last acknowledged "
                    + "one or the one being switched to", where, loop.acknowledged()).isIn(allowed);
            assertOnlyActiveIs(active);
            assertThat(listedDeploymentIds()).as("%s: every deployment is still there", where)
                    .containsExactlyInAnyOrderElementsOf(all);
            assertServes(active, "v" + (all.indexOf(active) + 1));
            assertEventLogEndsWith(active);
            assertDatabaseIntact();
        }
        assertThat(interruptedRequests).as("rounds whose kill interrupted a switch in flight (seed %d)", seed)
                .isPositive();
    }

    // ---- the crash mid-upload ----------------------------------------------------------------------------------

    /**
     * Sends the blob's PUT over a raw socket but only half of its body, waits until the gateway has written a
     * quarter of the blob to disk, and kills it while the rest of the body is still coming.
     */
    private void killWhileUploading(String deployment, String sha, Path file) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try (Socket socket = new Socket("127.0.0.1", gateway.adminPort())) {
            Thread writer = new Thread(() -> sendHalf(socket, deployment, sha, file), "half-upload");
            writer.setDaemon(true);
            writer.start();
            while (bytesOnDisk(sha) < BIG_BLOB_BYTES / 4 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(bytesOnDisk(sha)).as("the gateway writes the upload to disk as it arrives; log tail:%n%s",
                    gateway.logTail()).isGreaterThanOrEqualTo(BIG_BLOB_BYTES / 4);
            gateway.kill();
            writer.join(TimeUnit.SECONDS.toMillis(20));
        }
    }

    /** The largest file named after {@code sha} (final or temp) anywhere in the blob folder. */
    private long bytesOnDisk(String sha) throws IOException {
        try (Stream<Path> files = Files.walk(dataDir.resolve("blobs"))) {
            return files.filter(p -> p.getFileName().toString().startsWith(sha))
                    .mapToLong(CrashRecoveryTest::sizeOf).max().orElse(0);
        }
    }

    /** The largest temp file of {@code sha}'s upload. */
    private long bytesPersisted(String sha) throws IOException {
        return tempUploads().stream().filter(p -> p.getFileName().toString().startsWith(sha))
                .mapToLong(CrashRecoveryTest::sizeOf).max().orElse(0);
    }

    private void sendHalf(Socket socket, String deployment, String sha, Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/deployments/" + deployment + "/blobs/" + sha + " HTTP/1.1\r\n"
                    + "Host: 127.0.0.1:" + gateway.adminPort() + "\r\n"
                    + "Authorization: Bearer " + gateway.token() + "\r\n"
                    + "Content-Type: application/octet-stream\r\n"
                    + "Content-Length: " + BIG_BLOB_BYTES + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] buffer = new byte[64 << 10];
            long left = BIG_BLOB_BYTES / 2;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                out.write(buffer, 0, n);
                left -= n;
            }
            out.flush();
        } catch (IOException e) {
            // the gateway was killed while this was still writing: exactly the point
        }
    }

    private List<Path> tempUploads() throws IOException {
        Path tmp = dataDir.resolve("blobs").resolve(".tmp");
        if (!Files.isDirectory(tmp)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(tmp)) {
            return files.toList();
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0; // renamed or deleted between listing and looking
        }
    }

    private Path blobFile(String sha) {
        return dataDir.resolve("blobs").resolve(sha.substring(0, 2)).resolve(sha);
    }

    /** Every blob file (outside the temp folder) is complete: its content hashes to its name. */
    private void assertEveryBlobHashesToItsName() throws IOException {
        Path root = dataDir.resolve("blobs");
        List<Path> blobs;
        try (Stream<Path> files = Files.walk(root)) {
            // Compressed variants (variants/) are named after their identity blob, not after their own bytes.
            blobs = files.filter(Files::isRegularFile).filter(p -> !p.getParent().equals(root.resolve(".tmp")))
                    .filter(p -> !p.startsWith(root.resolve("variants"))).toList();
        }
        assertThat(blobs).as("blobs on disk").isNotEmpty();
        for (Path blob : blobs) {
            try (InputStream in = Files.newInputStream(blob)) {
                assertThat(sha256(in)).as("content of blob file %s", root.relativize(blob))
                        .isEqualTo(blob.getFileName().toString());
            }
        }
    }

    // ---- the crash mid-activation ------------------------------------------------------------------------------

    /** The newest activate or rollback event: the deployment it made active and the one it replaced. */
    private Optional<JsonNode> newestSwitch() throws IOException, InterruptedException {
        return switches().stream().reduce((older, newer) -> newer);
    }

    /** Activate and rollback events, oldest first. */
    private List<JsonNode> switches() throws IOException, InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : events()) {
            String type = e.path("type").asText();
            if (type.equals("activate") || type.equals("rollback")) {
                out.add(0, e);
            }
        }
        return out;
    }

    /** The site's events, newest first. */
    private List<JsonNode> events() throws IOException, InterruptedException {
        Reply reply = expect(gateway.get("/v1/sites/" + SITE + "/events?limit=1000"), 200, "events");
        List<JsonNode> out = new ArrayList<>();
        reply.body().path("events").forEach(out::add);
        return out;
    }

    /**
     * The event log has no gap, every switch replaced the deployment the switch before it activated (so no switch
     * was half recorded), and the newest switch names the deployment that is active.
     */
    private void assertEventLogEndsWith(String active) throws IOException, InterruptedException {
        List<JsonNode> events = events();
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).path("seq").asLong()).as("event seq after %s", events.get(i - 1))
                    .isEqualTo(events.get(i - 1).path("seq").asLong() - 1);
        }
        List<JsonNode> switches = switches();
        for (int i = 1; i < switches.size(); i++) {
            assertThat(switches.get(i).path("previous").asText()).as("the deployment %s replaced", switches.get(i))
                    .isEqualTo(switches.get(i - 1).path("deployment").asText());
        }
        assertThat(switches).isNotEmpty();
        assertThat(switches.get(switches.size() - 1).path("deployment").asText()).as("the newest switch event")
                .isEqualTo(active);
    }

    // ---- what every restart must show --------------------------------------------------------------------------

    private void assertOnlyActiveIs(String expected) throws IOException, InterruptedException {
        assertThat(site().path("activeDeployment").asText()).as("the site's active deployment").isEqualTo(expected);
        List<String> active = new ArrayList<>();
        for (JsonNode d : deployments()) {
            if (d.path("state").asText().equals("active")) {
                active.add(d.path("id").asText());
            }
        }
        assertThat(active).as("deployments in state active").containsExactly(expected);
    }

    private void assertServes(String deployment, String marker) throws IOException, InterruptedException {
        EdgeReply page = gateway.navigate(HOST, "/");
        assertThat(page.status()).as("GET / for %s: %s", HOST, page.body()).isEqualTo(200);
        assertThat(page.deployment()).as("X-Skewgate-Deployment of the entry point").isEqualTo(deployment);
        Matcher meta = META.matcher(page.body());
        assertThat(meta.find()).as("the entry point carries the deployment meta tag: %s", page.body()).isTrue();
        assertThat(meta.group(1)).as("the meta tag names the same deployment as the header").isEqualTo(deployment);
        assertThat(page.body()).as("the entry point is the one of %s", deployment).contains(markerTag(marker));
    }

    private String downloadSha(String path) throws IOException, InterruptedException {
        HttpResponse<InputStream> response = gateway.download(HOST, path);
        try (InputStream in = response.body()) {
            assertThat(response.statusCode()).as("GET %s", path).isEqualTo(200);
            return sha256(in);
        }
    }

    /** PRAGMA integrity_check through a read-only connection next to the running gateway (WAL allows it). */
    private void assertDatabaseIntact() throws SQLException {
        try (Connection db = readOnlyDatabase();
             PreparedStatement integrity = db.prepareStatement("PRAGMA integrity_check");
             ResultSet rs = integrity.executeQuery()) {
            List<String> report = new ArrayList<>();
            while (rs.next()) {
                report.add(rs.getString(1));
            }
            assertThat(report).as("PRAGMA integrity_check").containsExactly("ok");
        }
        try (Connection db = readOnlyDatabase();
             PreparedStatement keys = db.prepareStatement("PRAGMA foreign_key_check");
             ResultSet rs = keys.executeQuery()) {
            assertThat(rs.next()).as("PRAGMA foreign_key_check finds a dangling reference").isFalse();
        }
    }

    private String databaseState(String deployment) throws SQLException {
        try (Connection db = readOnlyDatabase();
             PreparedStatement st = db.prepareStatement("SELECT state FROM deployments WHERE id=?")) {
            st.setString(1, deployment);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : "(no row)";
            }
        }
    }

    private Connection readOnlyDatabase() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(10_000);
        return DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("skewgate.db"), config.toProperties());
    }

    // ---- admin API steps ---------------------------------------------------------------------------------------

    private void startGateway() throws IOException, InterruptedException {
        Files.createDirectories(dataDir);
        gateway = ChildGateway.start(dataDir, log);
    }

    private void createSite() throws IOException, InterruptedException {
        expect(gateway.post("/v1/sites", Map.of("name", SITE, "hosts", List.of(HOST))), 201, "create site");
    }

    private JsonNode site() throws IOException, InterruptedException {
        return expect(gateway.get("/v1/sites/" + SITE), 200, "site").body();
    }

    private List<JsonNode> deployments() throws IOException, InterruptedException {
        List<JsonNode> out = new ArrayList<>();
        expect(gateway.get("/v1/sites/" + SITE + "/deployments"), 200, "deployments").body().path("deployments")
                .forEach(out::add);
        return out;
    }

    private List<String> listedDeploymentIds() throws IOException, InterruptedException {
        return deployments().stream().map(d -> d.path("id").asText()).toList();
    }

    /** A file of the manifest whose bytes live in a file of the test rather than in memory. */
    private record BigFile(String sha256, long size) {
    }

    private Reply beginDeployment(Map<String, byte[]> files, Map<String, BigFile> bigFiles, String message)
            throws IOException, InterruptedException {
        List<Map<String, Object>> manifest = new ArrayList<>();
        files.forEach((path, bytes) -> manifest.add(Map.of("path", path, "sha256", sha256(bytes), "size", bytes.length)));
        bigFiles.forEach((path, big) -> manifest.add(Map.of("path", path, "sha256", big.sha256(), "size", big.size())));
        return expect(gateway.post("/v1/sites/" + SITE + "/deployments", Map.of("files", manifest, "message", message)),
                201, "begin deployment " + message);
    }

    private void uploadSmallBlobs(String deployment, Map<String, byte[]> files, List<String> missing)
            throws IOException, InterruptedException {
        for (byte[] bytes : files.values()) {
            String sha = sha256(bytes);
            if (missing.contains(sha)) {
                expect(gateway.put("/v1/deployments/" + deployment + "/blobs/" + sha,
                        HttpRequest.BodyPublishers.ofByteArray(bytes)), 201, "upload " + sha);
            }
        }
    }

    private String deploy(Map<String, byte[]> files, Map<String, BigFile> bigFiles, Path... bigContent)
            throws IOException, InterruptedException {
        Reply begun = beginDeployment(files, bigFiles, "build " + files.size() + "+" + bigFiles.size());
        String id = begun.body().path("deployment").path("id").asText();
        List<String> missing = texts(begun.body().path("missing"));
        uploadSmallBlobs(id, files, missing);
        int i = 0;
        for (BigFile big : bigFiles.values()) {
            if (missing.contains(big.sha256())) {
                expect(gateway.put("/v1/deployments/" + id + "/blobs/" + big.sha256(),
                        HttpRequest.BodyPublishers.ofFile(bigContent[i])), 201, "upload big blob " + big.sha256());
            }
            i++;
        }
        Reply finalized = expect(gateway.post("/v1/deployments/" + id + "/finalize", Map.of()), 200, "finalize " + id);
        assertThat(finalized.body().path("state").asText()).as("state after finalize").isEqualTo("staged");
        return id;
    }

    private void activate(String deployment) throws IOException, InterruptedException {
        Reply reply = expect(gateway.post("/v1/sites/" + SITE + "/activate", Map.of("deployment", deployment)), 200,
                "activate " + deployment);
        assertThat(reply.body().path("site").path("activeDeployment").asText()).isEqualTo(deployment);
    }

    private Reply expect(Reply reply, int status, String what) {
        assertThat(reply.status()).as("%s answered %s; gateway log tail:%n%s", what, reply.body(), gateway.logTail())
                .isEqualTo(status);
        return reply;
    }

    // ---- builds and hashes -------------------------------------------------------------------------------------

    /** A tiny build whose entry point names {@code marker}, so a served page shows which build it came from. */
    private static Map<String, byte[]> build(String marker) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.html", ("<!doctype html><html><head><title>" + marker + "</title></head><body>"
                + markerTag(marker) + "<script src=\"/app-" + marker + ".js\"></script></body></html>\n")
                .getBytes(StandardCharsets.UTF_8));
        files.put("app-" + marker + ".js", ("console.log('" + marker + "');\n").getBytes(StandardCharsets.UTF_8));
        return files;
    }

    private static String markerTag(String marker) {
        return "<p id=\"build\">" + marker + "</p>";
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static String writeRandomFile(Path file, int size, long seed) throws IOException {
        Random random = new Random(seed);
        MessageDigest digest = sha256Digest();
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), digest)) {
            for (int written = 0; written < size; written += chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk, 0, Math.min(chunk.length, size - written));
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256Digest().digest(bytes));
    }

    private static String sha256(InputStream in) throws IOException {
        MessageDigest digest = sha256Digest();
        byte[] buffer = new byte[1 << 16];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            digest.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
