package dev.skewgate.tls;

import java.io.IOException;
import java.io.StringReader;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Reads PEM certificate chains and private keys as certificate tools write them: PKCS#8 ({@code PRIVATE KEY}),
 * PKCS#1 ({@code RSA PRIVATE KEY}) and SEC1 ({@code EC PRIVATE KEY}). BouncyCastle's parser (which acme4j brings)
 * does this; the JDK reads only PKCS#8. Encrypted keys are refused: the gateway has no passphrase to give.
 */
public final class Pem {

    private Pem() {
    }

    /** A malformed or unsupported PEM input, said in one sentence. */
    public static final class PemException extends Exception {
        public PemException(String message) {
            super(message);
        }
    }

    public static List<X509Certificate> certificates(String pem) throws PemException {
        List<X509Certificate> out = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof X509CertificateHolder holder) {
                    out.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new PemException("the certificate file is not valid PEM");
        }
        if (out.isEmpty()) {
            throw new PemException("the certificate file holds no CERTIFICATE block");
        }
        return out;
    }

    public static PrivateKey privateKey(String pem) throws PemException {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o.getClass().getSimpleName().contains("Encrypted")) {
                    throw new PemException("the key file is encrypted; give an unencrypted key (mode 600)");
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new PemException("the key file is not valid PEM");
        }
        throw new PemException("the key file holds no PRIVATE KEY block");
    }
}
