package dev.skewgate.tls;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import javax.security.auth.x500.X500Principal;

/**
 * A certificate chain (leaf first) with its private key, as the TLS listener presents it: the DNS names the leaf
 * covers, its validity and issuer, and a fingerprint that names this exact certificate.
 */
public final class CertifiedKey {

    private final List<X509Certificate> chain;
    private final PrivateKey key;
    // Derived once: the handshake path asks for the fingerprint of every candidate, connections for the names.
    private final List<String> names;
    private final String fingerprint;

    public CertifiedKey(List<X509Certificate> chain, PrivateKey key) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a certificate chain has at least the leaf");
        }
        this.chain = List.copyOf(chain);
        this.key = key;
        this.names = HostNames.namesOf(this.chain.get(0));
        try {
            this.fingerprint = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(this.chain.get(0).getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public List<X509Certificate> chain() {
        return chain;
    }

    public PrivateKey key() {
        return key;
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** The DNS names of the leaf's subjectAltName (lower case); the subject CN only when there is no SAN at all. */
    public List<String> names() {
        return names;
    }

    public Instant notBefore() {
        return leaf().getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return leaf().getNotAfter().toInstant();
    }

    /** The issuer's common name, else its whole distinguished name. */
    public String issuer() {
        X500Principal issuer = leaf().getIssuerX500Principal();
        return HostNames.commonName(issuer).orElse(issuer.getName());
    }

    /** SHA-256 of the leaf's DER encoding, hex. */
    public String fingerprint() {
        return fingerprint;
    }

    /** Whether the leaf covers {@code host} (exact, or a one-label wildcard as RFC 6125 allows). */
    public boolean covers(String host) {
        return names.stream().anyMatch(name -> HostNames.matches(name, host));
    }

    /** Two are equal when they are the same certificate with the same key. */
    @Override
    public boolean equals(Object o) {
        return o instanceof CertifiedKey other && fingerprint.equals(other.fingerprint) && key.equals(other.key);
    }

    @Override
    public int hashCode() {
        return fingerprint.hashCode();
    }

}
