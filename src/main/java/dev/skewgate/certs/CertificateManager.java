package dev.skewgate.certs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.NotFoundException;
import dev.skewgate.tls.CertifiedKey;
import dev.skewgate.tls.SniKeyManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificates the TLS listener serves, by host: certificate files the operator manages (a wildcard, or a
 * certificate made elsewhere), each re-read when its files change on disk. A file that changes into something
 * unusable (a key that does not match, an expired certificate, half a write) is refused and the certificate that
 * worked keeps serving; the refusal shows in {@link #list()} and the log.
 *
 * <p>Which files belong to which host is kept in {@code data/tls/certificates.json} (owner-only, written crash-safely);
 * the certificates stay where the operator keeps them.
 */
public final class CertificateManager implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateManager.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Certificates expiring sooner than this raise an alert in status. */
    public static final Duration ALERT_BEFORE = Duration.ofDays(14);

    /** What the operator configured for a host. */
    private record Configured(String host, Path cert, Path key) {
    }

    /** A host's certificate as served now, and what was last refused for it. */
    private record Loaded(Configured config, Optional<CertifiedKey> serving, Optional<String> refused, String stamp) {
    }

    /** One host's certificate for the admin API and status. */
    public record View(String host, String source, Optional<String> issuer, Optional<Instant> notAfter,
                       List<String> names, Optional<String> certFile, Optional<String> keyFile,
                       Optional<String> error, boolean expiringSoon) {
    }

    private final Path stateFile;
    private final SniKeyManager keys;
    private final Clock clock;
    private final Duration pollEvery;
    private final Map<String, Loaded> hosts = new TreeMap<>();
    private ScheduledExecutorService poller;

    public CertificateManager(Path dataDir, SniKeyManager keys, Clock clock, Duration pollEvery) {
        this.stateFile = dataDir.toAbsolutePath().resolve("tls").resolve("certificates.json");
        this.keys = keys;
        this.clock = clock;
        this.pollEvery = pollEvery;
    }

    /** Loads what was configured and starts watching the files. */
    public synchronized void start() throws IOException {
        if (Files.exists(stateFile)) {
            for (JsonNode n : JSON.readTree(stateFile.toFile())) {
                Configured c = new Configured(n.path("host").asText(), Path.of(n.path("cert").asText()),
                        Path.of(n.path("key").asText()));
                hosts.put(c.host(), load(c, Optional.empty()));
            }
        }
        install();
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "skewgate-certificate-files");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, pollEvery.toMillis(), pollEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Serves the certificate in {@code certFile} (PEM chain, leaf first) with {@code keyFile} for {@code host}. */
    public synchronized View add(String rawHost, String certFile, String keyFile) {
        String host = CertificateRules.host(rawHost);
        Configured c = new Configured(host, absolute(certFile, "cert"), absolute(keyFile, "key"));
        CertifiedKey checked = CertificateRules.check(host, read(c.cert(), "certificate"), read(c.key(), "key"),
                clock.instant());
        Loaded previous = hosts.get(host);
        hosts.put(host, new Loaded(c, Optional.of(checked), Optional.empty(), stamp(c)));
        try {
            persist();
        } catch (IOException e) {
            if (previous == null) {
                hosts.remove(host);
            } else {
                hosts.put(host, previous);
            }
            throw new UncheckedIOException("cannot write " + stateFile.getFileName(), e);
        }
        install();
        LOG.info("certificate for {}: {} (issuer {}, expires {})", host, c.cert(), checked.issuer(), checked.notAfter());
        return view(hosts.get(host));
    }

    public synchronized void remove(String rawHost) {
        String host = CertificateRules.host(rawHost);
        Loaded gone = hosts.remove(host);
        if (gone == null) {
            throw new NotFoundException("CERTIFICATE_NOT_FOUND", "no certificate is configured for " + host);
        }
        try {
            persist();
        } catch (IOException e) {
            hosts.put(host, gone);
            throw new UncheckedIOException("cannot write " + stateFile.getFileName(), e);
        }
        install();
    }

    public synchronized List<View> list() {
        return hosts.values().stream().map(this::view).toList();
    }

    /** The certificate served for {@code host} (exact, else the wildcard over it), if any. */
    public synchronized Optional<View> forHost(String host) {
        return keys.forHost(host).flatMap(k -> hosts.values().stream()
                .filter(l -> l.serving().filter(s -> s.fingerprint().equals(k.fingerprint())).isPresent())
                .findFirst().map(this::view));
    }

    /** Re-reads every file that changed since it was last read; keeps what works when the change does not. */
    synchronized void poll() {
        boolean changed = false;
        for (Map.Entry<String, Loaded> e : hosts.entrySet()) {
            Loaded now = e.getValue();
            String stamp = stamp(now.config());
            if (stamp.equals(now.stamp())) {
                continue;
            }
            Loaded next = load(now.config(), now.serving());
            e.setValue(next);
            changed |= !next.serving().equals(now.serving());
        }
        if (changed) {
            install();
        }
    }

    private Loaded load(Configured c, Optional<CertifiedKey> serving) {
        String stamp = stamp(c);
        try {
            CertifiedKey k = CertificateRules.check(c.host(), read(c.cert(), "certificate"), read(c.key(), "key"),
                    clock.instant());
            if (serving.isPresent()) {
                LOG.info("certificate for {} reloaded from {} (expires {})", c.host(), c.cert(), k.notAfter());
            }
            return new Loaded(c, Optional.of(k), Optional.empty(), stamp);
        } catch (RuntimeException e) {
            String why = e.getMessage();
            LOG.warn("certificate for {} from {}: {}; {}", c.host(), c.cert(), why,
                    serving.isPresent() ? "the one read before keeps serving" : "the host has no certificate");
            return new Loaded(c, serving, Optional.of(why), stamp);
        }
    }

    private void install() {
        Map<String, CertifiedKey> byName = new LinkedHashMap<>();
        hosts.forEach((host, l) -> l.serving().ifPresent(k -> byName.put(host, k)));
        keys.install(byName);
    }

    private void persist() throws IOException {
        ArrayNode all = JSON.createArrayNode();
        for (Loaded l : hosts.values()) {
            ObjectNode n = all.addObject();
            n.put("host", l.config().host());
            n.put("cert", l.config().cert().toString());
            n.put("key", l.config().key().toString());
        }
        SecureFiles.write(stateFile, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
    }

    private View view(Loaded l) {
        Optional<CertifiedKey> k = l.serving();
        boolean soon = k.map(x -> x.notAfter().isBefore(clock.instant().plus(ALERT_BEFORE))).orElse(false);
        return new View(l.config().host(), "file", k.map(CertifiedKey::issuer), k.map(CertifiedKey::notAfter),
                k.map(CertifiedKey::names).orElse(List.of()), Optional.of(l.config().cert().toString()),
                Optional.of(l.config().key().toString()), l.refused(), soon);
    }

    private static Path absolute(String file, String what) {
        if (file == null || file.isBlank()) {
            throw new InvalidRequestException("INVALID_FILE", "the " + what + " file is required");
        }
        Path p = Path.of(file);
        if (!p.isAbsolute()) {
            throw new InvalidRequestException("INVALID_FILE", "the " + what + " file must be an absolute path on the "
                    + "gateway's machine: " + file);
        }
        return p.normalize();
    }

    private static byte[] read(Path file, String what) {
        try {
            if (Files.size(file) > 1 << 20) {
                throw new InvalidRequestException("INVALID_FILE", "the " + what + " file " + file + " is over 1 MiB");
            }
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidRequestException("FILE_NOT_READABLE", "the gateway cannot read the " + what + " file "
                    + file + (Files.exists(file) ? " (permissions?)" : " (no such file)"));
        }
    }

    /** What changes when a file is rewritten: modification time, size and file key of both files. */
    private static String stamp(Configured c) {
        List<String> parts = new ArrayList<>();
        for (Path p : List.of(c.cert(), c.key())) {
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                parts.add(a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + a.fileKey());
            } catch (IOException e) {
                parts.add("missing");
            }
        }
        return String.join("|", parts);
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
        }
    }
}
