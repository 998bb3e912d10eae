package dev.skewgate.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How {@code serve --https} obtains certificates for the exact host names of its sites through ACME.
 *
 * @param directory the CA's ACME directory (Let's Encrypt's production one by default)
 * @param email the account's contact, for the CA's expiry notices
 * @param caTrust a PEM file of the CA certificate(s) the directory's own HTTPS is signed with, for a private CA
 *                (pebble, step-ca); else the JDK's trust store
 * @param challenge how the CA validates a host name: HTTP-01 on the plain listener (port 80), or TLS-ALPN-01 on the
 *                  TLS listener (port 443) for machines whose port 80 is closed
 */
public record AcmeSettings(boolean enabled, URI directory, Optional<String> email, Optional<Path> caTrust,
        Challenge challenge) {

    public static final URI LETS_ENCRYPT = URI.create("https://acme-v02.api.letsencrypt.org/directory");
    public static final AcmeSettings OFF = new AcmeSettings(false, LETS_ENCRYPT, Optional.empty(), Optional.empty(),
            Challenge.HTTP_01);

    /** The ACME challenge types Skewgate answers (RFC 8555 §8.3, RFC 8737). */
    public enum Challenge {
        HTTP_01("http-01"), TLS_ALPN_01("tls-alpn-01");

        private final String wire;

        Challenge(String wire) {
            this.wire = wire;
        }

        /** The name the CLI and the ACME protocol use. */
        public String wire() {
            return wire;
        }

        /** The challenge of this name, if it is one. */
        public static Optional<Challenge> of(String name) {
            for (Challenge c : values()) {
                if (c.wire.equals(name)) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        }
    }
}
