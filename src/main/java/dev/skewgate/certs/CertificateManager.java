package dev.skewgate.certs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skewgate.model.ConflictException;
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
                       Optional<String> error, boolean expiringSoon, Optional<Instant> nextAttempt,
                       Optional<Instant> rateLimitedUntil) {
    }

    /**
     * A certificate obtained through ACME for a host, and how its renewal goes: after a failure the next attempt is
     * not before {@code nextAttempt}, and not before {@code rateLimitedUntil} (the CA's Retry-After) either.
     */
    private record Issued(Optional<CertifiedKey> serving, Optional<String> error, int failures, Instant nextAttempt,
                          Optional<Instant> rateLimitedUntil) {

        static Issued fresh(Optional<CertifiedKey> serving) {
            return new Issued(serving, Optional.empty(), 0, Instant.EPOCH, Optional.empty());
        }
    }

    /** The first retry after a failed order; each further failure doubles it, up to {@link #MAX_BACKOFF}. */
    static final Duration FIRST_BACKOFF = Duration.ofMinutes(1);
    static final Duration MAX_BACKOFF = Duration.ofHours(12);

    private final Path stateFile;
    private final SniKeyManager keys;
    private final Clock clock;
    private final Duration pollEvery;
    private final Map<String, Loaded> hosts = new TreeMap<>();
    private final Optional<AcmeIssuer> acme;
    private final java.util.function.Supplier<java.util.Collection<String>> siteHosts;
    private final Map<String, Issued> issued = new java.util.concurrent.ConcurrentHashMap<>();
    private ScheduledExecutorService poller;
    private ScheduledExecutorService orders;

    public CertificateManager(Path dataDir, SniKeyManager keys, Clock clock, Duration pollEvery) {
        this(dataDir, keys, clock, pollEvery, Optional.empty(), java.util.List::of);
    }

    /**
     * @param acme obtains certificates for the exact host names of {@code siteHosts} that no file certificate covers
     * @param siteHosts every host name of every site, read at each poll: a host added to a site gets its certificate
     *                  without a restart
     */
    public CertificateManager(Path dataDir, SniKeyManager keys, Clock clock, Duration pollEvery,
                              Optional<AcmeIssuer> acme, java.util.function.Supplier<java.util.Collection<String>> siteHosts) {
        this.stateFile = dataDir.toAbsolutePath().resolve("tls").resolve("certificates.json");
        this.keys = keys;
        this.clock = clock;
        this.pollEvery = pollEvery;
        this.acme = acme;
        this.siteHosts = siteHosts;
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
        if (acme.isPresent()) {
            orders = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "skewgate-acme");
                t.setDaemon(true);
                return t;
            });
            orders.scheduleWithFixedDelay(this::acmeTick, 0, pollEvery.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    // ---- ACME ----

    /** The exact host names ACME should cover: site hosts that no file certificate covers and a public CA can name. */
    private synchronized java.util.Set<String> wanted() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (String h : siteHosts.get()) {
            String host = h.toLowerCase(java.util.Locale.ROOT);
            boolean byFile = hosts.containsKey(host) || hosts.containsKey(dev.skewgate.tls.HostNames.wildcardOf(host));
            if (!host.startsWith("*.") && !byFile && !host.equals("localhost") && !host.endsWith(".localhost")
                    && !host.matches("[0-9.]+|.*:.*")) {
                out.add(host);
            }
        }
        return out;
    }

    /** Orders what is missing or due for renewal (two thirds into its lifetime), one host at a time, with backoff. */
    void acmeTick() {
        try {
            java.util.Set<String> wanted = wanted();
            boolean changed = issued.keySet().retainAll(wanted);
            for (String host : wanted) {
                Issued state = issued.computeIfAbsent(host, h -> Issued.fresh(acme.get().stored(h)));
                changed |= state.serving().isPresent();
                if (due(state) && !clock.instant().isBefore(state.nextAttempt())) {
                    attempt(host);
                }
            }
            if (changed) {
                install();
            }
        } catch (RuntimeException e) {
            LOG.warn("certificate renewal pass failed, will retry: {}", e.toString());
        }
    }

    /** Missing, failed before (retried until it works, also after an operator's renewal) or 2/3 into its life. */
    private boolean due(Issued state) {
        if (state.serving().isEmpty() || state.failures() > 0) {
            return true;
        }
        CertifiedKey k = state.serving().get();
        Duration life = Duration.between(k.notBefore(), k.notAfter());
        return clock.instant().isAfter(k.notBefore().plus(life.multipliedBy(2).dividedBy(3)));
    }

    /**
     * One order for {@code host}; a failure keeps the certificate that serves and sets the next attempt: the backoff,
     * or the CA's Retry-After of a rate limit when that is later. Each attempt logs once.
     */
    private void attempt(String host) {
        Issued before = issued.getOrDefault(host, Issued.fresh(Optional.empty()));
        try {
            LOG.info("certificate for {}: ordering it through ACME", host);
            CertifiedKey k = acme.get().issue(host);
            issued.put(host, Issued.fresh(Optional.of(k)));
            LOG.info("certificate for {}: issued by {}, expires {}", host, k.issuer(), k.notAfter());
            install();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            int failures = before.failures() + 1;
            Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(20, failures - 1));
            if (backoff.compareTo(MAX_BACKOFF) > 0) {
                backoff = MAX_BACKOFF;
            }
            Instant next = clock.instant().plus(backoff);
            Optional<Instant> limited = e instanceof AcmeIssuer.OrderFailedException f ? f.rateLimitedUntil()
                    : Optional.empty();
            // a rate limit without a time to retry after lasts, as far as we know, until the backoff is over
            limited = limited.map(t -> t.equals(Instant.EPOCH) ? next : t);
            Instant at = limited.filter(next::isBefore).orElse(next);
            String why = String.valueOf(e.getMessage());
            issued.put(host, new Issued(before.serving(), Optional.of(why), failures, at, limited));
            LOG.warn("certificate for {}: the ACME order failed ({}); {}, next try in {} (at {})", host, why,
                    before.serving().isPresent() ? "the current certificate keeps serving" : "the host has none yet",
                    dev.skewgate.model.Durations.format(Duration.between(clock.instant(), at)), at);
        }
    }

    /** Orders a new certificate for {@code host} now (an operator's renewal), whatever the schedule says. */
    public View renew(String rawHost) {
        String host = CertificateRules.host(rawHost);
        if (acme.isEmpty() || !wanted().contains(host)) {
            throw new NotFoundException("NOT_ACME", host + " gets no certificate through ACME here (a file "
                    + "certificate covers it, it is no site's exact host name, or the gateway runs without --https)");
        }
        Optional<Instant> limited = Optional.ofNullable(issued.get(host)).flatMap(Issued::rateLimitedUntil)
                .filter(clock.instant()::isBefore);
        if (limited.isPresent()) {
            throw new ConflictException("CA_RATE_LIMITED", "the CA rate-limited orders for " + host + " until "
                    + limited.get() + " (" + issued.get(host).error().orElse("") + "); an order before then is refused "
                    + "again, so the gateway orders by itself at " + issued.get(host).nextAttempt());
        }
        try {
            return orders.submit(() -> {
                attempt(host);
                return acmeView(host);
            }).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private View acmeView(String host) {
        Issued i = issued.get(host);
        Optional<CertifiedKey> k = i == null ? Optional.empty() : i.serving();
        boolean soon = k.map(x -> x.notAfter().isBefore(clock.instant().plus(ALERT_BEFORE))).orElse(false);
        return new View(host, "acme", k.map(CertifiedKey::issuer), k.map(CertifiedKey::notAfter),
                k.map(CertifiedKey::names).orElse(List.of()), Optional.of(acme.get().certFile(host).toString()),
                Optional.empty(), i == null ? Optional.empty() : i.error(), soon,
                i == null || i.failures() == 0 ? Optional.empty() : Optional.of(i.nextAttempt()),
                i == null ? Optional.empty() : i.rateLimitedUntil());
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
        List<View> out = new ArrayList<>(hosts.values().stream().map(this::view).toList());
        new java.util.TreeSet<>(issued.keySet()).forEach(h -> out.add(acmeView(h)));
        return out;
    }

    /** The certificate served for {@code host} (exact, else the wildcard over it), if any. */
    public synchronized Optional<View> forHost(String host) {
        Optional<View> byFile = keys.forHost(host).flatMap(k -> hosts.values().stream()
                .filter(l -> l.serving().filter(s -> s.fingerprint().equals(k.fingerprint())).isPresent())
                .findFirst().map(this::view));
        if (byFile.isPresent()) {
            return byFile;
        }
        // an ACME host is listed from its first order on, also while it has no certificate yet (its error shows)
        return issued.containsKey(host.toLowerCase(java.util.Locale.ROOT))
                ? Optional.of(acmeView(host.toLowerCase(java.util.Locale.ROOT))) : Optional.empty();
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

    private synchronized void install() {
        Map<String, CertifiedKey> byName = new LinkedHashMap<>();
        issued.forEach((host, i) -> i.serving().ifPresent(k -> byName.put(host, k)));
        hosts.forEach((host, l) -> l.serving().ifPresent(k -> byName.put(host, k))); // a file wins
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
                Optional.of(l.config().key().toString()), l.refused(), soon, Optional.empty(), Optional.empty());
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
        if (orders != null) {
            orders.shutdownNow();
        }
    }
}
