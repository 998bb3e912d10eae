package dev.skewgate.demo;

import dev.skewgate.control.ControlPlane;
import dev.skewgate.control.DeploymentMeta;
import dev.skewgate.control.NewDeployment;
import dev.skewgate.control.SiteSettings;
import dev.skewgate.control.ManagedRequest;
import dev.skewgate.model.BackendDefaults;
import dev.skewgate.model.BackendFile;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.NotFoundException;
import dev.skewgate.model.Sha256;
import dev.skewgate.store.BlobStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.time.Duration;

/**
 * {@code skewgate demo} on a gateway the app package started: two versions of a small API and two frontends built against
 * them, v1 live. Everything a person needs to watch skew protection work in a browser.
 */
public final class Demo implements AutoCloseable {

    public static final String SITE = "demo";
    public static final String HOST = "demo.localhost";

    private final int edgePort;
    private final int adminPort;
    private final String v1;
    private final String v2;

    private final java.nio.file.Path dataDir;

    private Demo(int edgePort, int adminPort, String v1, String v2, java.nio.file.Path dataDir) {
        this.edgePort = edgePort;
        this.adminPort = adminPort;
        this.dataDir = dataDir;
        this.v1 = v1;
        this.v2 = v2;
    }

    /**
     * Sets the demo up on a running gateway's control plane: the site unless it exists, and two deployments whose
     * backends the gateway runs itself (each version's API is this jar's {@link DemoApi}); v1 goes live, which starts
     * its API process.
     */
    public static Demo start(ControlPlane control, int edgePort, int adminPort, java.nio.file.Path dataDir)
            throws Exception {
        try {
            control.sites().get(SITE);
        } catch (NotFoundException e) {
            control.sites().create(SITE, SiteSettings.DEFAULT.withHosts(List.of(HOST)), "demo");
        }
        String v1 = deploy(control, "v1", "Demo frontend v1 (reads data.message)");
        String v2 = deploy(control, "v2", "Demo frontend v2 (reads data.greeting.text)");
        control.lifecycle().activate(SITE, v1, Optional.empty(), "demo");
        return new Demo(edgePort, adminPort, v1, v2, dataDir);
    }

    /**
     * The run command of API version {@code n}: this JVM's java on the jar (or class folder) this class came from, with
     * a small heap: it serves two paths.
     */
    static String apiCommand(int n) {
        String javaBin = java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes;
        try {
            classes = java.nio.file.Path.of(Demo.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot locate the jar of the demo API", e);
        }
        return "exec " + quoted(javaBin) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx32m -Xss512k -cp "
                + quoted(classes) + " " + DemoApi.class.getName() + " " + n;
    }

    private static String quoted(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    private static String deploy(ControlPlane control, String version, String message) throws IOException {
        // One template for both frontends: they differ only in their version, their chunk's name and the field of
        // the API answer they read — the incompatibility the demo is about.
        boolean one = version.equals("v1");
        String app = one ? "assets/app-1a2b3c4d.js" : "assets/app-5e6f7a8b.js";
        String read = one ? "data.message" : "data.greeting.text";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("index.html", fill("/demo/index.html", version, app, read));
        files.put(app, fill("/demo/app.js", version, app, read));
        files.put("assets/demo-9c8b7a6d.css", resource("/demo/demo-9c8b7a6d.css"));
        files.put("favicon.svg", resource("/demo/favicon.svg"));
        List<ManifestEntry> manifest = new ArrayList<>();
        Map<String, byte[]> bySha = new LinkedHashMap<>();
        files.forEach((path, bytes) -> {
            String sha = Sha256.hex(bytes);
            manifest.add(new ManifestEntry(path, sha, bytes.length, ""));
            bySha.put(sha, bytes);
        });
        // The backend folder: the API is code from the jar, so the folder only says so.
        byte[] readme = ("API " + version + " of the Skewgate demo: " + DemoApi.class.getName() + " from the jar.\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        bySha.put(Sha256.hex(readme), readme);
        int n = one ? 1 : 2;
        BackendDefaults asked = new BackendDefaults(Optional.of(apiCommand(n)), OptionalInt.of(1),
                Optional.of("/api/health"), Optional.empty(), OptionalLong.empty(), Optional.of(Duration.ofSeconds(5)),
                Optional.empty(), Optional.empty());
        ManagedRequest backend = new ManagedRequest(asked,
                List.of(BackendFile.file("README.txt", Sha256.hex(readme), readme.length, false)), Map.of());
        NewDeployment created = control.uploads().begin(SITE, manifest,
                new DeploymentMeta(message, Optional.empty(), "demo", Optional.empty(), Optional.of(backend)));
        for (String sha : created.missing()) {
            BlobStore.BlobUpload upload = control.uploads().openBlob(created.deployment().id(), sha);
            byte[] bytes = bySha.get(sha);
            upload.write(bytes, 0, bytes.length);
            upload.commit();
        }
        return control.uploads().finalizeDeployment(created.deployment().id(), "demo").id();
    }

    private static byte[] fill(String template, String version, String app, String read) {
        String text = new String(resource(template), java.nio.charset.StandardCharsets.UTF_8)
                .replace("{{VERSION}}", version).replace("{{APP}}", app.substring("assets/".length()))
                .replace("{{READ}}", read);
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static byte[] resource(String path) {
        try (InputStream in = Demo.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("the jar has no " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }


    public String v1() {
        return v1;
    }

    public String v2() {
        return v2;
    }

    /** The short script printed for a person to follow. */
    public String script() {
        String url = "http://" + HOST + (edgePort == 80 ? "" : ":" + edgePort) + "/";
        // The demo keeps its own data folder, so every command names it (the CLI reads the admin token there).
        String admin = " --data-dir " + dataDir
                + (adminPort == 8081 ? "" : " --admin-url http://127.0.0.1:" + adminPort);
        return String.join("\n",
                "",
                "Skewgate demo is running.",
                "  its data is in " + dataDir.toAbsolutePath().normalize() + " (not serve's ./skewgate-data; delete it to "
                        + "start over)",
                "  site '" + SITE + "' at " + url,
                "  deployment v1 = " + v1 + "  (frontend v1 + API v1, which answers {\"message\": ...})",
                "  deployment v2 = " + v2 + "  (frontend v2 + API v2, which answers {\"greeting\": {\"text\": ...}})",
                "  v1 is live; the gateway runs each version's API as a process of its own.",
                "",
                "Try this:",
                "  1. Open " + url + " in a browser tab (tab A) and press 'Call the API': Hello from API v1.",
                "  2. In another terminal:  skewgate activate " + SITE + " " + v2 + admin,
                "     Tab A shows 'A new version is available'. Press 'Call the API' in tab A again (without refreshing):",
                "     it still gets API v1, the backend its frontend was built for.",
                "  3. Open " + url + " in a second tab (tab B): frontend v2, talking to API v2.",
                "  4. skewgate status " + SITE + admin + "    -> open tabs, requests and the API processes of each version",
                "     skewgate logs " + SITE + " " + v1 + admin + "    -> what API v1 printed",
                "  5. skewgate retire " + SITE + " " + v1 + admin,
                "     Tab A's next API call gets 410 Gone and a refresh prompt, never a silent answer from the wrong API;",
                "     API v1's process is stopped (skewgate status lists no instance of v1 any more).",
                "",
                "Press Ctrl-C to stop.");
    }

    /** The gateway stops the API processes with itself; nothing else runs here. */
    @Override
    public void close() {
    }
}
