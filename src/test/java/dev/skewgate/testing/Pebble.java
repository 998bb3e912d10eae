package dev.skewgate.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code pebble}, the ACME test CA, with {@code pebble-challtestsrv} as its DNS (every name is 127.0.0.1):
 * a real ACME server that validates HTTP-01 challenges against the gateway's plain HTTP port.
 */
public final class Pebble implements AutoCloseable {

    private final Path dir;
    private final int acmePort;
    private final int managementPort;
    private Process dns;
    private Process pebble;

    private Pebble(Path dir, int acmePort, int managementPort) {
        this.dir = dir;
        this.acmePort = acmePort;
        this.managementPort = managementPort;
    }

    /** Starts both, validating HTTP-01 on {@code httpPort} of 127.0.0.1 (and TLS-ALPN-01 on a port nobody uses). */
    public static Pebble start(Path dir, int httpPort) throws IOException, InterruptedException {
        return start(dir, httpPort, freePort());
    }

    /** Starts both, validating HTTP-01 on {@code httpPort} and TLS-ALPN-01 on {@code tlsPort} of 127.0.0.1. */
    public static Pebble start(Path dir, int httpPort, int tlsPort) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of("/usr/bin/pebble")) || !Files.isExecutable(Path.of("/usr/bin/pebble-challtestsrv"))) {
            throw new IllegalStateException("these tests need Debian's pebble: apt-get install pebble (.ci/run does)");
        }
        Files.createDirectories(dir);
        Pebble p = new Pebble(dir, freePort(), freePort());
        int dnsPort = freePort();
        run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString(),
                "-subj", "/CN=localhost", "-days", "2", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1");
        Files.writeString(dir.resolve("config.json"), "{\"pebble\": {\"listenAddress\": \"127.0.0.1:" + p.acmePort
                + "\", \"managementListenAddress\": \"127.0.0.1:" + p.managementPort + "\", \"certificate\": \""
                + dir.resolve("cert.pem") + "\", \"privateKey\": \"" + dir.resolve("key.pem") + "\", \"httpPort\": "
                + httpPort + ", \"tlsPort\": " + tlsPort + ", \"ocspResponderURL\": \"\", "
                + "\"externalAccountBindingRequired\": false}}\n");
        p.dns = new ProcessBuilder("pebble-challtestsrv", "-dns01", "127.0.0.1:" + dnsPort, "-http01", "",
                "-https01", "", "-tlsalpn01", "", "-management", "127.0.0.1:" + freePort(), "-defaultIPv4",
                "127.0.0.1", "-defaultIPv6", "").redirectErrorStream(true)
                .redirectOutput(dir.resolve("challtestsrv.log").toFile()).start();
        ProcessBuilder pb = new ProcessBuilder("pebble", "-config", dir.resolve("config.json").toString(),
                "-dnsserver", "127.0.0.1:" + dnsPort).redirectErrorStream(true)
                .redirectOutput(dir.resolve("pebble.log").toFile());
        pb.environment().put("PEBBLE_VA_NOSLEEP", "1"); // validate at once, not after a random pause
        pb.environment().put("PEBBLE_WFE_NONCEREJECT", "0"); // no random badNonce answers
        pb.environment().put("PEBBLE_AUTHZREUSE", "0"); // every order validates again (a renewal can fail)
        p.pebble = pb.start();
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            try {
                p.root();
                return p;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline || !p.pebble.isAlive()) {
                    p.close();
                    throw new IllegalStateException("pebble did not start: " + Files.readString(dir.resolve("pebble.log")));
                }
                Thread.sleep(100);
            }
        }
    }

    /** The directory URL an ACME client starts from. */
    public URI directory() {
        return URI.create("https://127.0.0.1:" + acmePort + "/dir");
    }

    /** The certificate pebble's own HTTPS listener uses: what an ACME client must trust. */
    public Path listenerCert() {
        return dir.resolve("cert.pem");
    }

    /** The key of {@link #listenerCert()}. */
    public Path listenerKey() {
        return dir.resolve("key.pem");
    }

    /** The root that signs what pebble issues (new on every pebble start), written to a file. */
    public Path root() throws IOException {
        try {
            HttpClient client = HttpClient.newBuilder().sslContext(TestCerts.trustingFile(listenerCert()))
                    .connectTimeout(Duration.ofSeconds(2)).build();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:"
                    + managementPort + "/roots/0")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("pebble answered " + r.statusCode());
            }
            Path file = dir.resolve("root.pem");
            Files.writeString(file, r.body());
            return file;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** Stops the DNS server pebble validates with: every further challenge fails ("DNS problem"). */
    public void breakDns() throws InterruptedException {
        dns.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : List.of(pebble, dns)) {
            if (p != null) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
