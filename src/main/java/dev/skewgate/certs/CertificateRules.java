package dev.skewgate.certs;

import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.tls.CertifiedKey;
import dev.skewgate.tls.Pem;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** What a certificate must be before it is served for a host: readable, its key's, valid now, covering the host. */
public final class CertificateRules {

    /** An exact host name, or a wildcard of one label: {@code *.example.com}. */
    private static final Pattern HOST = Pattern.compile("(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*"
            + "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private CertificateRules() {
    }

    public static String host(String raw) {
        String host = raw == null ? "" : raw.trim().toLowerCase(Locale.ROOT);
        if (host.isEmpty() || host.length() > 253 || !HOST.matcher(host).matches()) {
            throw new InvalidRequestException("INVALID_HOST", "'" + raw + "' is not a host name or a one-label "
                    + "wildcard such as *.example.com");
        }
        return host;
    }

    /** Reads and checks a PEM pair for {@code host}; every refusal names what is wrong in one sentence. */
    public static CertifiedKey check(String host, byte[] certPem, byte[] keyPem, Instant now) {
        List<X509Certificate> chain;
        PrivateKey key;
        try {
            chain = Pem.certificates(new String(certPem, StandardCharsets.US_ASCII));
        } catch (Pem.PemException e) {
            throw new InvalidRequestException("INVALID_CERTIFICATE", e.getMessage());
        }
        try {
            key = Pem.privateKey(new String(keyPem, StandardCharsets.US_ASCII));
        } catch (Pem.PemException e) {
            throw new InvalidRequestException("INVALID_KEY", e.getMessage());
        }
        CertifiedKey certified = new CertifiedKey(chain, key);
        if (!matches(key, certified.leaf().getPublicKey())) {
            throw new InvalidRequestException("KEY_MISMATCH", "the key does not belong to the certificate (the first "
                    + "certificate of the file must be the leaf, the key its private key)");
        }
        if (now.isAfter(certified.notAfter())) {
            throw new InvalidRequestException("CERTIFICATE_EXPIRED", "the certificate expired on " + certified.notAfter());
        }
        if (now.isBefore(certified.notBefore())) {
            throw new InvalidRequestException("CERTIFICATE_NOT_YET_VALID", "the certificate is valid only from "
                    + certified.notBefore());
        }
        if (!certified.names().contains(host) && !certified.covers(host)) {
            throw new InvalidRequestException("CERTIFICATE_NOT_FOR_HOST", "the certificate is for "
                    + String.join(", ", certified.names()) + ", not " + host);
        }
        return certified;
    }

    /** Whether {@code key} signs what {@code pub} verifies: the only check that works for every key type. */
    private static boolean matches(PrivateKey key, PublicKey pub) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null || !key.getAlgorithm().equals(pub.getAlgorithm())
                && !(key.getAlgorithm().startsWith("Ed") && pub.getAlgorithm().startsWith("Ed"))) {
            return false;
        }
        try {
            byte[] nonce = new byte[32];
            new SecureRandom().nextBytes(nonce);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(nonce);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(nonce);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
