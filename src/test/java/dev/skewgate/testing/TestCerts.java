package dev.skewgate.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made with the real {@code openssl} command: a throw-away CA and leaf certificates it signs, as an
 * operator's tooling would write them (PEM, SEC1/PKCS#8 keys).
 */
public final class TestCerts {

    private final Path dir;
    private final Path caKey;
    private final Path caCert;

    private TestCerts(Path dir) {
        this.dir = dir;
        this.caKey = dir.resolve("ca.key");
        this.caCert = dir.resolve("ca.pem");
    }

    /** A new CA in {@code dir}. */
    public static TestCerts ca(Path dir) throws IOException {
        Files.createDirectories(dir);
        TestCerts c = new TestCerts(dir);
        c.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                c.caKey.toString(), "-out", c.caCert.toString(), "-subj", "/CN=Skewgate Test CA", "-days", "3");
        return c;
    }

    public Path caCert() {
        return caCert;
    }

    /** A client TLS context that trusts this CA only (a new one: its own session cache). */
    public javax.net.ssl.SSLContext trustingContext() throws Exception {
        return trustingFile(caCert);
    }

    /** A client TLS context that trusts the certificates in {@code pem} only. */
    public static javax.net.ssl.SSLContext trustingFile(Path pem) throws Exception {
        return dev.skewgate.tls.TrustStores.trustingOnly(pem);
    }

    /** The files of one leaf certificate. */
    public record Leaf(Path cert, Path key) {
    }

    /** A leaf for {@code names} (DNS SANs), valid from {@code daysFromNow} for {@code days}; key type "ec" or "rsa". */
    public Leaf leaf(String file, String keyType, int days, String... names) throws IOException {
        Path key = dir.resolve(file + ".key");
        Path csr = dir.resolve(file + ".csr");
        Path cert = dir.resolve(file + ".pem");
        Path ext = dir.resolve(file + ".ext");
        List<String> sans = new ArrayList<>();
        for (String n : names) {
            sans.add("DNS:" + n);
        }
        Files.writeString(ext, "subjectAltName=" + String.join(",", sans) + "\n", StandardCharsets.US_ASCII);
        if (keyType.equals("rsa")) {
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out", csr.toString(), "-subj",
                    "/CN=" + names[0]);
        } else {
            openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key.toString(),
                    "-out", csr.toString(), "-subj", "/CN=" + names[0]);
        }
        openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-days", Integer.toString(days), "-out", cert.toString(), "-extfile", ext.toString());
        // a full chain, as ACME clients and CAs hand it out
        Files.writeString(cert, Files.readString(cert) + Files.readString(caCert));
        return new Leaf(cert, key);
    }

    /**
     * An EC leaf for {@code names} valid exactly from {@code notBefore} to {@code notAfter} (an expired or a not yet
     * valid one; openssl's x509 command cannot backdate), signed by this CA with BouncyCastle.
     */
    public Leaf leafValid(String file, java.time.Instant notBefore, java.time.Instant notAfter, String... names)
            throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        java.security.KeyPair kp = g.generateKeyPair();
        java.security.cert.X509Certificate ca = dev.skewgate.tls.Pem.certificates(Files.readString(caCert)).get(0);
        java.security.PrivateKey caPrivate = dev.skewgate.tls.Pem.privateKey(Files.readString(caKey));
        org.bouncycastle.asn1.x509.GeneralName[] sans = new org.bouncycastle.asn1.x509.GeneralName[names.length];
        for (int i = 0; i < names.length; i++) {
            sans[i] = new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.dNSName, names[i]);
        }
        org.bouncycastle.cert.X509CertificateHolder holder = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
                ca, java.math.BigInteger.valueOf(System.nanoTime()), java.util.Date.from(notBefore),
                java.util.Date.from(notAfter), new javax.security.auth.x500.X500Principal("CN=" + names[0]), kp.getPublic())
                .addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false,
                        new org.bouncycastle.asn1.x509.GeneralNames(sans))
                .build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(caPrivate));
        Path cert = dir.resolve(file + ".pem");
        Path key = dir.resolve(file + ".key");
        Files.writeString(cert, pem("CERTIFICATE", holder.getEncoded()) + Files.readString(caCert));
        Files.writeString(key, pem("PRIVATE KEY", kp.getPrivate().getEncoded()));
        return new Leaf(cert, key);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private void openssl(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("openssl " + String.join(" ", args) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
