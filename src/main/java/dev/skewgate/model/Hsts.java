package dev.skewgate.model;

/**
 * A site's {@code Strict-Transport-Security} policy (RFC 6797 §6.1): how long browsers must use HTTPS only, whether
 * for every subdomain too, and whether the site asks to be on the browsers' preload list (hstspreload.org).
 *
 * @param maxAge seconds; 0 tells browsers to forget the policy (§6.1.1)
 */
public record Hsts(long maxAge, boolean includeSubDomains, boolean preload) {

    /** The header's value, in the directive spelling browsers and hstspreload.org expect. */
    public String headerValue() {
        return "max-age=" + maxAge + (includeSubDomains ? "; includeSubDomains" : "") + (preload ? "; preload" : "");
    }
}
