package dev.skewgate.tls;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * Picks the certificate of a TLS handshake by its SNI name from the current set, which the control plane replaces
 * whole ({@link #install}); a handshake in progress keeps the certificate it chose. A name with no certificate (or no
 * SNI at all) gets none, so the handshake fails: never another site's certificate.
 *
 * <p>Written against the JDK's key manager interface rather than Vert.x's SNI mode, which builds one SSL context per
 * name on first use and caches it: a certificate renewed or added at run time must be picked up by the next
 * handshake without rebuilding the server's options.
 *
 * <p>A handshake that negotiated the ALPN protocol {@code acme-tls/1} gets the TLS-ALPN-01 challenge certificate of
 * its name while that challenge is pending ({@link #answerChallenge}), never an ordinary one; any other handshake
 * never gets a challenge certificate. Only the JDK's engine negotiates ALPN before it asks for the certificate.
 */
public final class SniKeyManager extends X509ExtendedKeyManager {

    /** The ALPN protocol of TLS-ALPN-01 validation (RFC 8737 §6.2). */
    public static final String ACME_TLS_1 = "acme-tls/1";
    private static final String CHALLENGE = ACME_TLS_1 + " ";

    private final Map<String, CertifiedKey> challenges = new java.util.concurrent.ConcurrentHashMap<>();

    /** The certificates by name (an exact host, or {@code *.domain}); the previous set serves handshakes in progress. */
    private record Sets(Map<String, CertifiedKey> current, Map<String, CertifiedKey> previous) {
    }

    private final AtomicReference<Sets> sets = new AtomicReference<>(new Sets(Map.of(), Map.of()));

    /** Replaces the whole set; names are exact host names or one-label wildcards, lower case. */
    public void install(Map<String, CertifiedKey> byName) {
        sets.updateAndGet(old -> new Sets(Map.copyOf(byName), old.current()));
    }

    /** Presents {@code challenge} to the CA's {@code acme-tls/1} handshakes for {@code host} until withdrawn. */
    public void answerChallenge(String host, CertifiedKey challenge) {
        challenges.put(host.toLowerCase(Locale.ROOT), challenge);
    }

    /** Ends what {@link #answerChallenge} started. */
    public void withdrawChallenge(String host) {
        challenges.remove(host.toLowerCase(Locale.ROOT));
    }

    /** The certificate a handshake for {@code host} gets now. */
    public Optional<CertifiedKey> forHost(String host) {
        return find(sets.get().current(), host.toLowerCase(Locale.ROOT)).map(Map.Entry::getValue);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        if (engine == null) {
            return null;
        }
        if (ACME_TLS_1.equals(engine.getHandshakeApplicationProtocol())) {
            Optional<String> sni = sni(engine.getHandshakeSession());
            CertifiedKey c = sni.map(challenges::get).orElse(null);
            return c != null && suits(c.key(), keyType) ? CHALLENGE + sni.get() + "#" + c.fingerprint() : null;
        }
        return choose(keyType, engine.getHandshakeSession());
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return socket instanceof SSLSocket ssl ? choose(keyType, ssl.getHandshakeSession()) : null;
    }

    private String choose(String keyType, SSLSession session) {
        Optional<String> sni = sni(session);
        if (sni.isEmpty()) {
            return null;
        }
        return find(sets.get().current(), sni.get())
                .filter(e -> suits(e.getValue().key(), keyType))
                .map(e -> e.getKey() + "#" + e.getValue().fingerprint())
                .orElse(null);
    }

    private static Optional<Map.Entry<String, CertifiedKey>> find(Map<String, CertifiedKey> set, String host) {
        CertifiedKey exact = set.get(host);
        if (exact != null) {
            return Optional.of(Map.entry(host, exact));
        }
        String wildcard = HostNames.wildcardOf(host);
        CertifiedKey wild = wildcard.isEmpty() ? null : set.get(wildcard);
        return wild == null ? Optional.empty() : Optional.of(Map.entry(wildcard, wild));
    }

    private static Optional<String> sni(SSLSession session) {
        if (session instanceof ExtendedSSLSession extended) {
            for (SNIServerName name : extended.getRequestedServerNames()) {
                if (name instanceof SNIHostName host) {
                    return Optional.of(host.getAsciiName().toLowerCase(Locale.ROOT));
                }
            }
        }
        return Optional.empty();
    }

    /** Whether a key of this algorithm can sign for the handshake's key type ("RSA", "RSASSA-PSS", "EC", "EC_EC" ...). */
    private static boolean suits(PrivateKey key, String keyType) {
        String wanted = keyType.split("_")[0];
        String have = key.getAlgorithm();
        return wanted.equals(have) || have.equals("RSA") && wanted.equals("RSASSA-PSS")
                || have.equals("EC") && wanted.equals("ECDSA");
    }

    private Optional<CertifiedKey> byAlias(String alias) {
        if (alias == null) {
            return Optional.empty();
        }
        int hash = alias.lastIndexOf('#');
        String name = hash < 0 ? alias : alias.substring(0, hash);
        String print = hash < 0 ? "" : alias.substring(hash + 1);
        if (name.startsWith(CHALLENGE)) {
            CertifiedKey c = challenges.get(name.substring(CHALLENGE.length()));
            return c != null && c.fingerprint().equals(print) ? Optional.of(c) : Optional.empty();
        }
        Sets s = sets.get();
        for (Map<String, CertifiedKey> set : List.of(s.current(), s.previous())) {
            CertifiedKey k = set.get(name);
            if (k != null && k.fingerprint().equals(print)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return byAlias(alias).map(k -> k.chain().toArray(X509Certificate[]::new)).orElse(null);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return byAlias(alias).map(CertifiedKey::key).orElse(null);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return sets.get().current().entrySet().stream().filter(e -> suits(e.getValue().key(), keyType))
                .map(e -> e.getKey() + "#" + e.getValue().fingerprint()).toArray(String[]::new);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
    }
}
