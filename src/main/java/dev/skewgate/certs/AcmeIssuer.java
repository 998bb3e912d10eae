package dev.skewgate.certs;

import dev.skewgate.edge.AcmeChallenges;
import dev.skewgate.config.AcmeSettings;
import dev.skewgate.store.DiskSpace;
import dev.skewgate.tls.CertifiedKey;
import dev.skewgate.tls.SniKeyManager;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Obtains certificates through ACME (RFC 8555) with HTTP-01 challenges, which the plain HTTP listener answers
 * ({@link #answer}), or TLS-ALPN-01 challenges (RFC 8737), which the TLS listener answers through the key manager. Uses acme4j; keeps the account key and each host's certificate and key in {@code data/tls/acme/}
 * (owner-only, written crash-safely).
 */
public final class AcmeIssuer implements AcmeChallenges {

    /** Let's Encrypt's production directory: the default. */
    public static final URI LETS_ENCRYPT = URI.create("https://acme-v02.api.letsencrypt.org/directory");
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Logger LOG = LoggerFactory.getLogger(AcmeIssuer.class);

    /** Where the CA is and who we are to it. */
    public record Settings(URI directory, Optional<String> email, Optional<SSLContext> trust,
            AcmeSettings.Challenge challenge) {
    }

    private final Path dir;
    private final Settings settings;
    private final SniKeyManager keys;
    private final Map<String, String> pending = new ConcurrentHashMap<>();

    public AcmeIssuer(Path dataDir, Settings settings, SniKeyManager keys) {
        this.dir = dataDir.toAbsolutePath().resolve("tls").resolve("acme");
        this.settings = settings;
        this.keys = keys;
    }

    @Override
    public Optional<String> answer(String token) {
        return Optional.ofNullable(pending.get(token));
    }

    /** Where the certificate of {@code host} is kept. */
    public Path certFile(String host) {
        return dir.resolve(host + ".pem");
    }

    /** The certificate issued before for {@code host}, if its files are there and readable. */
    public Optional<CertifiedKey> stored(String host) {
        Path cert = certFile(host);
        Path key = dir.resolve(host + ".key");
        Optional<CertifiedKey> pair = read(host, cert, key);
        Path pendingCert = SecureFiles.temp(cert);
        if (pair.isEmpty() && Files.isRegularFile(pendingCert) && read(host, pendingCert, key).isPresent()) {
            // a crash between the two renames of a renewal: the new key is in place, its certificate still in temp
            try {
                Files.move(pendingCert, cert, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                LOG.info("certificate for {}: finished storing the renewal a stop interrupted", host);
                pair = read(host, cert, key);
            } catch (IOException e) {
                LOG.warn("certificate for {}: cannot finish storing an interrupted renewal: {}", host, e.getMessage());
            }
        }
        for (Path leftover : List.of(pendingCert, SecureFiles.temp(key))) {
            try {
                if (Files.deleteIfExists(leftover)) {
                    LOG.info("certificate for {}: removed {} left by an interrupted write", host, leftover.getFileName());
                }
            } catch (IOException e) {
                LOG.warn("certificate for {}: cannot remove {}: {}", host, leftover, e.getMessage());
            }
        }
        return pair;
    }

    private static Optional<CertifiedKey> read(String host, Path cert, Path key) {
        if (!Files.isRegularFile(cert) || !Files.isRegularFile(key)) {
            return Optional.empty();
        }
        try {
            return Optional.of(CertificateRules.check(host, Files.readAllBytes(cert), Files.readAllBytes(key),
                    java.time.Instant.now()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // unmatched, or expired: issued again
        }
    }

    /**
     * Orders, validates and downloads a certificate for {@code host}; stores it before returning it.
     *
     * @throws OrderFailedException with the reason in words (the CA's, without acme4j's class names) and, when the CA
     *                              rate-limited the order, until when
     */
    public synchronized CertifiedKey issue(String host) throws OrderFailedException, InterruptedException {
        try {
            return order(host);
        } catch (AcmeRateLimitedException e) {
            Optional<Instant> until = e.getRetryAfter();
            String docs = e.getDocuments().stream().map(Object::toString).reduce((a, b) -> a + ", " + b)
                    .map(d -> " (see " + d + ")").orElse("");
            throw new OrderFailedException("rate limited by the CA " + until.map(t -> "until " + t)
                    .orElse("(it gave no time to retry after)") + ": " + readable(e.getProblem()) + docs,
                    Optional.of(until.orElse(Instant.EPOCH)), e);
        } catch (AcmeServerException e) {
            throw new OrderFailedException("the CA refused the order: " + readable(e.getProblem()), Optional.empty(), e);
        } catch (AcmeNetworkException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new OrderFailedException("cannot reach the CA at " + settings.directory() + ": "
                    + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()),
                    Optional.empty(), e);
        } catch (AcmeException e) {
            throw new OrderFailedException(String.valueOf(e.getMessage()), Optional.empty(), e);
        } catch (IOException e) {
            String why = DiskSpace.isFull(e)
                    ? DiskSpace.full(dir, "storing the certificate for " + host, e).getMessage()
                    : "cannot store the certificate for " + host + " (the files that were there are unchanged): "
                    + e.getMessage();
            throw new OrderFailedException(why, Optional.empty(), e);
        }
    }

    /** Why an order failed, in words; {@code rateLimitedUntil} is set (EPOCH: no time given) for a CA's rate limit. */
    public static final class OrderFailedException extends Exception {
        private final transient Optional<Instant> rateLimitedUntil;

        OrderFailedException(String reason, Optional<Instant> rateLimitedUntil, Throwable cause) {
            super(reason, cause);
            this.rateLimitedUntil = rateLimitedUntil;
        }

        public Optional<Instant> rateLimitedUntil() {
            return rateLimitedUntil;
        }
    }

    /**
     * A problem document (RFC 7807) as a sentence: its detail (else title, else type without the ACME prefix), each
     * sub-problem with its identifier (RFC 8555 §6.7.1).
     */
    static String readable(Problem p) {
        String type = p.getType().toString().replaceFirst("^urn:ietf:params:acme:error:", "");
        String text = p.getDetail().or(p::getTitle).orElse(type);
        String hint = switch (type) {
            case "dns", "connection", "unauthorized", "incorrectResponse", "tls" -> "; the name's DNS must point at "
                    + "this gateway and the CA must reach it (port 80 for HTTP-01, 443 for TLS-ALPN-01)";
            default -> "";
        };
        List<String> subs = new java.util.ArrayList<>();
        for (Problem sub : p.getSubProblems()) {
            subs.add(sub.getIdentifier().map(i -> i.getValue() + ": ").orElse("") + readable(sub));
        }
        return text + (subs.isEmpty() ? "" : " (" + String.join("; ", subs) + ")") + hint;
    }

    private CertifiedKey order(String host) throws AcmeException, IOException, InterruptedException {
        Session session = new Session(settings.directory(), new GenericAcmeProvider() {
            @Override
            public HttpClient createHttpClient(NetworkSettings network) {
                HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(network.getTimeout())
                        .followRedirects(HttpClient.Redirect.NORMAL);
                settings.trust().ifPresent(b::sslContext);
                return b.build();
            }
        });
        AccountBuilder builder = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey());
        settings.email().ifPresent(builder::addEmail);
        Account account = builder.create(session);
        Order order = account.newOrder().domain(host).create();
        for (Authorization auth : order.getAuthorizations()) {
            if (auth.getStatus() == Status.VALID) {
                continue;
            }
            boolean tls = settings.challenge() == AcmeSettings.Challenge.TLS_ALPN_01;
            Class<? extends Challenge> type = tls ? TlsAlpn01Challenge.class : Http01Challenge.class;
            String typeName = settings.challenge().wire().toUpperCase(java.util.Locale.ROOT);
            Challenge challenge = auth.findChallenge(type).orElseThrow(() ->
                    new AcmeException("the CA offers no " + typeName + " challenge for " + host));
            if (challenge instanceof TlsAlpn01Challenge alpn) {
                KeyPair challengeKey = challengeKey();
                keys.answerChallenge(host, new CertifiedKey(
                        List.of(alpn.createCertificate(challengeKey, auth.getIdentifier())), challengeKey.getPrivate()));
            } else {
                Http01Challenge http = (Http01Challenge) challenge;
                pending.put(http.getToken(), http.getAuthorization());
            }
            try {
                challenge.trigger();
                Status status = auth.waitForCompletion(WAIT);
                if (status != Status.VALID) {
                    // the authorization was re-read while waiting; its challenge now carries the CA's reason
                    String why = auth.findChallenge(type).flatMap(Challenge::getError)
                            .or(challenge::getError).map(AcmeIssuer::readable)
                            .orElse("the challenge ended " + status.name().toLowerCase(java.util.Locale.ROOT));
                    throw new AcmeException("the CA could not validate " + host + " over " + typeName + ": " + why);
                }
            } finally {
                if (challenge instanceof Http01Challenge http) {
                    pending.remove(http.getToken());
                } else {
                    keys.withdrawChallenge(host);
                }
            }
        }
        KeyPair domainKey = newKey();
        order.execute(domainKey);
        Status done = order.waitForCompletion(WAIT);
        if (done != Status.VALID) {
            throw new AcmeException("the order for " + host + " ended " + done.name().toLowerCase(java.util.Locale.ROOT)
                    + order.getError().map(p -> ": " + readable(p)).orElse(""));
        }
        List<X509Certificate> chain = order.getCertificate().getCertificateChain();
        String key = pem(domainKey);
        StringBuilder pem = new StringBuilder();
        for (X509Certificate c : chain) {
            pem.append("-----BEGIN CERTIFICATE-----\n")
                    .append(java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(certBytes(c)))
                    .append("\n-----END CERTIFICATE-----\n");
        }
        // both on disk before either replaces the old pair (a full disk changes nothing); key renamed first: a crash
        // between the renames leaves the new certificate in its temp file, which stored() then finishes
        Map<Path, byte[]> files = new java.util.LinkedHashMap<>();
        files.put(dir.resolve(host + ".key"), key.getBytes(StandardCharsets.US_ASCII));
        files.put(certFile(host), pem.toString().getBytes(StandardCharsets.US_ASCII));
        SecureFiles.writeAll(files);
        return new CertifiedKey(chain, domainKey.getPrivate());
    }

    private static byte[] certBytes(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private KeyPair accountKey() throws IOException {
        Path file = dir.resolve("account.key");
        if (Files.isRegularFile(file)) {
            java.security.PrivateKey priv = null;
            java.security.PublicKey pub = null;
            org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter converter = new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter();
            try (org.bouncycastle.openssl.PEMParser parser = new org.bouncycastle.openssl.PEMParser(
                    new StringReader(Files.readString(file)))) {
                Object o;
                while ((o = parser.readObject()) != null) {
                    if (o instanceof org.bouncycastle.asn1.pkcs.PrivateKeyInfo info) {
                        priv = converter.getPrivateKey(info);
                    } else if (o instanceof org.bouncycastle.asn1.x509.SubjectPublicKeyInfo info) {
                        pub = converter.getPublicKey(info);
                    }
                }
            }
            if (priv == null || pub == null) {
                throw new IOException(file + " does not hold the account's key pair");
            }
            return new KeyPair(pub, priv);
        }
        KeyPair kp = newKey();
        SecureFiles.write(file, pem(kp).getBytes(StandardCharsets.US_ASCII));
        return kp;
    }

    /**
     * A P-256 key from the JDK's own provider: acme4j's KeyPairUtils asks for BouncyCastle's JCE provider, which a
     * shaded jar cannot carry (its signature files are stripped).
     */
    private static KeyPair newKey() throws IOException {
        try {
            java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
            g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot make an EC key", e);
        }
    }

    /**
     * An RSA key for a TLS-ALPN-01 challenge certificate: acme4j signs that certificate with SHA256withRSA whatever
     * the key, and the JDK's EC key cannot do that. The certificate lives for one validation.
     */
    private static KeyPair challengeKey() throws IOException {
        try {
            java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot make an RSA key", e);
        }
    }

    /** The private key as PKCS#8 ("PRIVATE KEY"), then the public key ("PUBLIC KEY"): both read back by PEM tools. */
    private static String pem(KeyPair kp) throws IOException {
        StringWriter out = new StringWriter();
        try (org.bouncycastle.openssl.jcajce.JcaPEMWriter w = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(out)) {
            w.writeObject(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", kp.getPrivate().getEncoded()));
            w.writeObject(kp.getPublic());
        }
        return out.toString();
    }
}
