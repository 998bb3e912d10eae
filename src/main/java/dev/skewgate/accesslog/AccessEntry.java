package dev.skewgate.accesslog;

/**
 * One finished request, as the edge saw it; turned into text on the writer thread, never on the event loop. The
 * target is stored as the client sent it and made safe ({@link SafeTarget}) when the line is written.
 *
 * @param site the site's name, or {@code -} (unknown host, health probe)
 * @param deployment the deployment that answered, or {@code -}
 * @param pin where the pin came from: {@code header}, {@code query}, {@code cookie} or {@code none}
 * @param bytes response body bytes sent (what combined's %b is)
 * @param upstreamNanos time to the backend's response head, or -1 when nothing was proxied
 * @param referer the Referer header or null; its query is made safe too
 */
public record AccessEntry(long epochMillis, String client, String site, String host, String method, String target,
                          String protocol, int status, long bytes, long durationNanos, String deployment, String pin,
                          long upstreamNanos, String requestId, String referer, String userAgent) {
}
