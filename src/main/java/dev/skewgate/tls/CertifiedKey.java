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
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = leaf().getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(2).equals(san.get(0))) {
                        out.add(String.valueOf(san.get(1)).toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        if (out.isEmpty()) {
            commonName(leaf().getSubjectX500Principal()).ifPresent(cn -> out.add(cn.toLowerCase(Locale.ROOT)));
        }
        return List.copyOf(out);
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
        return commonName(issuer).orElse(issuer.getName());
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
        return names().stream().anyMatch(name -> HostNames.matches(name, host));
    }

    private static java.util.Optional<String> commonName(X500Principal principal) {
        try {
            for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(principal.getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return java.util.Optional.of(String.valueOf(rdn.getValue()));
                }
            }
        } catch (javax.naming.InvalidNameException e) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.empty();
    }
}
