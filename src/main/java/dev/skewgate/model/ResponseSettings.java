package dev.skewgate.model;

import java.util.Optional;

/**
 * What the gateway adds to a site's responses when the operator opts in: an HSTS policy on every response over
 * HTTPS, and on-the-fly compression of proxied responses the backend left uncompressed.
 */
public record ResponseSettings(Optional<Hsts> hsts, boolean compressProxied) {

    /** Both off: a new site's responses are exactly what its files and backend make them. */
    public static final ResponseSettings DEFAULT = new ResponseSettings(Optional.empty(), false);
}
