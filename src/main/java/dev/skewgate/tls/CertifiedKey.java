package dev.skewgate.tls;

import java.security.PrivateKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.security.auth.x500.X500Principal;

/**
 * A certificate chain (leaf first) with its private key, as the TLS listener presents it: the DNS names the leaf
 * covers, its validity and issuer, and a fingerprint that names this exact certificate.
 */
public record CertifiedKey(List<X509Certificate> chain, PrivateKey key) {

    public CertifiedKey {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a certificate chain has at least the leaf");
        }
        chain = List.copyOf(chain);
    }

    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** The DNS names of the leaf's subjectAltName (lower case); the subject CN only when there is no SAN at all. */
    public List<String> names() {
        return HostNames.namesOf(leaf());
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
        try {
            return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(leaf().getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether the leaf covers {@code host} (exact, or a one-label wildcard as RFC 6125 allows). */
    public boolean covers(String host) {
        return HostNames.covers(leaf(), host);
    }

}
