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
 */
public record AcmeSettings(boolean enabled, URI directory, Optional<String> email, Optional<Path> caTrust) {

    public static final URI LETS_ENCRYPT = URI.create("https://acme-v02.api.letsencrypt.org/directory");
    public static final AcmeSettings OFF = new AcmeSettings(false, LETS_ENCRYPT, Optional.empty(), Optional.empty());
}
