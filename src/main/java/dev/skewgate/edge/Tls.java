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

    /** The names each open TLS connection's certificate covers: what requests on it may name as their Host. */
    private static final java.util.Map<io.vertx.core.http.HttpConnection, List<String>> NAMES =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Records the connection's certificate names until it closes; false when its certificate does not cover the name
     * the handshake asked for. A resumed session skips the key manager, and the JDK's client resumes one host's
     * session under another name (sending the first name as SNI again): the per-request check in
     * {@link #mayServe} is what keeps such a connection from serving the other site.
     */
    static boolean track(io.vertx.core.http.HttpConnection connection) {
        javax.net.ssl.SSLSession session = connection.sslSession();
        java.security.cert.Certificate[] local = session == null ? null : session.getLocalCertificates();
        String sni = connection.indicatedServerName();
        if (sni == null || local == null || local.length == 0
                || !(local[0] instanceof java.security.cert.X509Certificate leaf)
                || leaf.getExtensionValue(ACME_IDENTIFIER) != null) {
            return false; // a TLS-ALPN-01 validation: the CA only looks at the certificate (RFC 8737 §3)
        }
        List<String> names = dev.skewgate.tls.HostNames.namesOf(leaf);
        if (names.stream().noneMatch(n -> dev.skewgate.tls.HostNames.matches(n, sni))) {
            return false;
        }
        NAMES.put(connection, names);
        connection.closeHandler(v -> NAMES.remove(connection));
        return true;
    }

    /** Forgets a connection that will serve no more requests (an event stream taken over by the edge). */
    static void forget(io.vertx.core.http.HttpConnection connection) {
        NAMES.remove(connection);
    }

    /**
     * Whether a request on a TLS connection may name {@code host} (lower case): the connection's certificate must
     * cover it (RFC 9110 §7.4: otherwise 421 Misdirected Request). Browsers coalesce HTTP/2 connections only for
     * names the certificate covers, so this refuses only clients that reuse one site's connection for another site.
     */
    static boolean mayServe(io.vertx.core.http.HttpConnection connection, String host) {
        List<String> names = NAMES.get(connection);
        if (names == null) {
            return false;
        }
        for (String n : names) {
            if (n.equals(host) || n.startsWith("*.") && dev.skewgate.tls.HostNames.matches(n, host)) {
                return true;
            }
        }
        return false;
    }

    /**
     * BoringSSL (netty-tcnative) where its native library loads: bench/https-vs-nginx.sh measured about twice the JDK's
     * new handshakes per second on one machine (2026-12-03: 1,080-1,820/s against 380-680/s, nginx 1,170-1,470/s).
     * The JDK's engine otherwise, or when the system property {@code skewgate.tls.engine=jdk} asks for it (the
     * benchmark's comparison).
     */
    static io.vertx.core.net.SSLEngineOptions engine() {
        return BORINGSSL ? new io.vertx.core.net.OpenSSLEngineOptions() : new JdkSSLEngineOptions();
    }

    private static final boolean BORINGSSL = chooseEngine();

    private static boolean chooseEngine() {
        return !"jdk".equals(System.getProperty("skewgate.tls.engine")) && io.netty.handler.ssl.OpenSsl.isAvailable();
    }

    /** Which engine a TLS listener runs, and why, for the start-up log. */
    static String describeEngine(boolean tlsAlpn01) {
        if (tlsAlpn01) {
            return "the JDK's TLS (TLS-ALPN-01 needs it)";
        }
        if (BORINGSSL) {
            return io.netty.handler.ssl.OpenSsl.versionString() + " (netty-tcnative)";
        }
        return "jdk".equals(System.getProperty("skewgate.tls.engine")) ? "the JDK's TLS (-Dskewgate.tls.engine=jdk)"
                : "the JDK's TLS (BoringSSL does not load here: "
                        + io.netty.handler.ssl.OpenSsl.unavailabilityCause().getMessage() + ")";
    }

    /** The acmeIdentifier extension that marks a TLS-ALPN-01 challenge certificate (RFC 8737 §3). */
    private static final String ACME_IDENTIFIER = "1.3.6.1.5.5.7.1.31";

    /**
     * The JDK's engine, also offering {@code acme-tls/1} by ALPN: it settles ALPN before it asks the key manager for
     * the certificate, so the key manager can tell the CA's TLS-ALPN-01 handshake from a browser's. BoringSSL asks
     * for the certificate first.
     */
    private static final class AnsweringTlsAlpn01 extends JdkSSLEngineOptions {
        AnsweringTlsAlpn01() {
        }

        AnsweringTlsAlpn01(AnsweringTlsAlpn01 other) {
            super(other);
        }

        @Override
        public JdkSSLEngineOptions copy() {
            return new AnsweringTlsAlpn01(this);
        }

        /** The JDK's factory, but for the protocol list it is given, which gains {@code acme-tls/1}. */
        @Override
        public io.vertx.core.spi.tls.SslContextFactory sslContextFactory() {
            io.vertx.core.spi.tls.SslContextFactory jdk = super.sslContextFactory();
            // A proxy rather than a class that forwards each of the interface's nine methods by hand.
            return (io.vertx.core.spi.tls.SslContextFactory) java.lang.reflect.Proxy.newProxyInstance(
                    Tls.class.getClassLoader(), new Class<?>[] {io.vertx.core.spi.tls.SslContextFactory.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("applicationProtocols")) {
                            java.util.List<String> all = new java.util.ArrayList<>((List<?>) args[0]).stream()
                                    .map(String::valueOf).collect(java.util.stream.Collectors.toList());
                            all.add(dev.skewgate.tls.SniKeyManager.ACME_TLS_1);
                            args = new Object[] {all};
                        }
                        try {
                            Object answer = method.invoke(jdk, args);
                            return answer == jdk ? proxy : answer;
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    /**
     * Sets {@code options} up for TLS with the certificates of {@code keys}; {@code tlsAlpn01} when the CA validates
     * host names with TLS-ALPN-01 on this listener, which needs the JDK's engine ({@link AnsweringTlsAlpn01}).
     */
    static void configure(HttpServerOptions options, X509KeyManager keys, boolean tlsAlpn01) {
        options.setSsl(true)
                .setKeyCertOptions(KeyCertOptions.wrap(keys))
                // SNI on, for the name each handshake asked for; every name maps to the one context (the key manager
                // picks the certificate), so no per-name context is built for names a client invents.
                .setSni(true)
                .setSslEngineOptions(tlsAlpn01 ? new AnsweringTlsAlpn01() : engine())
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
