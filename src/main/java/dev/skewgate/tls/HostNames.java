package dev.skewgate.tls;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.security.auth.x500.X500Principal;

/** Certificate name matching (RFC 6125 §6.4): exact, or {@code *.example.com} for exactly one more label. */
public final class HostNames {

    private HostNames() {
    }

    public static boolean matches(String certName, String host) {
        String name = certName.toLowerCase(Locale.ROOT);
        String h = stripDot(host.toLowerCase(Locale.ROOT));
        if (!name.startsWith("*.")) {
            return name.equals(h);
        }
        int dot = h.indexOf('.');
        return dot > 0 && h.substring(dot).equals(name.substring(1));
    }

    /** The wildcard name that would cover {@code host}, e.g. {@code *.example.com} for {@code a.example.com}. */
    public static String wildcardOf(String host) {
        String h = stripDot(host.toLowerCase(Locale.ROOT));
        int dot = h.indexOf('.');
        return dot > 0 ? "*" + h.substring(dot) : "";
    }

    private static String stripDot(String host) {
        return host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    }

    /** The DNS names of a certificate's subjectAltName (lower case); the subject CN only when there is no SAN at all. */
    public static List<String> namesOf(X509Certificate cert) {
        List<String> out = new ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
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
            commonName(cert.getSubjectX500Principal()).ifPresent(cn -> out.add(cn.toLowerCase(Locale.ROOT)));
        }
        return List.copyOf(out);
    }

    /** Whether a certificate covers {@code host}. */
    public static boolean covers(X509Certificate cert, String host) {
        return namesOf(cert).stream().anyMatch(name -> matches(name, host));
    }

    static java.util.Optional<String> commonName(X500Principal principal) {
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
