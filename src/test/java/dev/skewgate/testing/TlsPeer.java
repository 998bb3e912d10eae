package dev.skewgate.testing;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** What a TLS listener presents for a name, read by a real handshake that trusts anything (tests compare serials). */
public final class TlsPeer {

    private TlsPeer() {
    }

    /** The leaf certificate presented on 127.0.0.1:{@code port} for SNI {@code host}. */
    public static X509Certificate leaf(int port, String host) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] c, String a) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] c, String a) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            SSLParameters p = s.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(host)));
            s.setSSLParameters(p);
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }
}
