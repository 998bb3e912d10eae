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

    static void configure(HttpServerOptions options, X509KeyManager keys) {
        options.setSsl(true)
                .setKeyCertOptions(KeyCertOptions.wrap(keys))
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
