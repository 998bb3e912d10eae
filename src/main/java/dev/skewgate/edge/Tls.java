package dev.skewgate.edge;

import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509KeyManager;

/**
 * The TLS listener's options: TLS 1.2 and 1.3 only, the certificate chosen per handshake by {@code keys} (SNI),
 * HTTP/2 or HTTP/1.1 by ALPN, and HTTP/2 limits against the known floods.
 */
final class Tls {

    /** Concurrent streams per HTTP/2 connection (nginx: 128; browsers rarely open more than ~100). */
    static final int MAX_CONCURRENT_STREAMS = 128;
    /** RST_STREAMs per window before the connection is closed: the rapid-reset attack (CVE-2023-44487). */
    static final int MAX_RESETS_PER_WINDOW = 200;

    private Tls() {
    }

    /**
     * Whether the certificate of a TLS connection covers the name the client asked for. A resumed session skips the
     * key manager, and the JDK resumes a TLS 1.3 session made for one name under another: such a connection would
     * serve a site under another site's certificate, so it is closed (the client retries with a full handshake).
     */
    static boolean certificateCoversSni(io.vertx.core.http.HttpConnection connection) {
        // The name of this handshake, as Netty's SNI handler read it: a resumed session's own record keeps the
        // name it was made for.
        String sni = connection.indicatedServerName();
        javax.net.ssl.SSLSession session = connection.sslSession();
        if (sni == null || session == null) {
            return false;
        }
        java.security.cert.Certificate[] local = session.getLocalCertificates();
        if (local == null || local.length == 0 || !(local[0] instanceof java.security.cert.X509Certificate leaf)) {
            return false;
        }
        return dev.skewgate.tls.HostNames.covers(leaf, sni);
    }

    /** The names each open TLS connection's certificate covers: what requests on it may name as their Host. */
    private static final java.util.Map<io.vertx.core.http.HttpConnection, List<String>> NAMES =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Records the connection's certificate names until it closes. */
    static void track(io.vertx.core.http.HttpConnection connection) {
        javax.net.ssl.SSLSession session = connection.sslSession();
        java.security.cert.Certificate[] local = session == null ? null : session.getLocalCertificates();
        if (local != null && local.length > 0 && local[0] instanceof java.security.cert.X509Certificate leaf) {
            NAMES.put(connection, dev.skewgate.tls.HostNames.namesOf(leaf));
            connection.closeHandler(v -> NAMES.remove(connection));
        }
    }

    /**
     * Whether a request on a TLS connection may name {@code host}: its certificate must cover it (RFC 9110 §7.4:
     * otherwise 421 Misdirected Request). A browser coalesces HTTP/2 connections only for names the certificate
     * covers, so this refuses only clients that send one site's requests under another site's certificate.
     */
    static boolean mayServe(io.vertx.core.http.HttpConnection connection, String host) {
        List<String> names = NAMES.get(connection);
        return names != null && names.stream().anyMatch(n -> dev.skewgate.tls.HostNames.matches(n, host));
    }

    static void configure(HttpServerOptions options, X509KeyManager keys) {
        options.setSsl(true)
                .setKeyCertOptions(KeyCertOptions.wrap(keys))
                // SNI on, for the name each handshake asked for; every name maps to the one context (the key manager
                // picks the certificate), so no per-name context is built for names a client invents.
                .setSni(true)
                // The JDK's engine: the SNI key manager needs the handshake session, which OpenSSL's engine does not
                // give a key manager.
                .setSslEngineOptions(new JdkSSLEngineOptions())
                .setEnabledSecureTransportProtocols(Set.of("TLSv1.2", "TLSv1.3"))
                .setSslHandshakeTimeout(10)
                .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
                .setUseAlpn(true)
                .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
                .setInitialSettings(new Http2Settings()
                        .setMaxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .setMaxHeaderListSize(StrictFraming.MAX_HEADERS + StrictFraming.MAX_INITIAL_LINE))
                .setHttp2RstFloodMaxRstFramePerWindow(MAX_RESETS_PER_WINDOW)
                .setHttp2RstFloodWindowDuration(30)
                .setHttp2RstFloodWindowDurationTimeUnit(TimeUnit.SECONDS);
    }
}
