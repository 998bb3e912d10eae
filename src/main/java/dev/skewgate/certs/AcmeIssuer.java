package dev.skewgate.certs;

import dev.skewgate.edge.AcmeChallenges;
import dev.skewgate.config.AcmeSettings;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.challenge.TlsAlpn01Challenge;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;

/**
 * Obtains certificates through ACME (RFC 8555) with HTTP-01 challenges, which the plain HTTP listener answers
 * ({@link #answer}), or TLS-ALPN-01 challenges (RFC 8737), which the TLS listener answers through the key manager. Uses acme4j; keeps the account key and each host's certificate and key in {@code data/tls/acme/}
 * (owner-only, written crash-safely).
 */
public final class AcmeIssuer implements AcmeChallenges {

    /** Let's Encrypt's production directory: the default. */
    public static final URI LETS_ENCRYPT = URI.create("https://acme-v02.api.letsencrypt.org/directory");
    private static final Duration WAIT = Duration.ofSeconds(90);

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
        Path cert = dir.resolve(host + ".pem");
        Path key = dir.resolve(host + ".key");
        if (!Files.isRegularFile(cert) || !Files.isRegularFile(key)) {
            return Optional.empty();
        }
        try {
            return Optional.of(CertificateRules.check(host, Files.readAllBytes(cert), Files.readAllBytes(key),
                    java.time.Instant.now()));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // half a renewal, or expired: issued again
        }
    }

    /** Orders, validates and downloads a certificate for {@code host}; stores it before returning it. */
    public synchronized CertifiedKey issue(String host) throws AcmeException, IOException, InterruptedException {
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
                            .or(challenge::getError).map(p -> p.getDetail().orElse(p.toString()))
                            .orElse("status " + status);
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
            throw new AcmeException("the order for " + host + " ended " + done
                    + order.getError().map(p -> ": " + p.getDetail().orElse(p.toString())).orElse(""));
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
        // key first: a crash between the two leaves the old pair unmatched, which stored() then refuses
        SecureFiles.write(dir.resolve(host + ".key"), key.getBytes(StandardCharsets.US_ASCII));
        SecureFiles.write(dir.resolve(host + ".pem"), pem.toString().getBytes(StandardCharsets.US_ASCII));
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
