package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.TestCerts;
import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 over the HTTPS listener, from raw frames on a TLS socket (ALPN h2): RFC 9113's header rules, and the known
 * floods — rapid reset (CVE-2023-44487) and CONTINUATION — end the connection instead of costing the gateway.
 */
class Http2HardeningTest {

    private static final int HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, GOAWAY = 7, CONTINUATION = 9;
    private static final int END_STREAM = 1, END_HEADERS = 4;

    @TempDir
    Path dir;
    TestGateway gw;
    SSLContext trusting;

    @BeforeEach
    void start() throws Exception {
        TestCerts ca = TestCerts.ca(dir.resolve("certs"));
        trusting = ca.trustingContext();
        gw = TestGateway.start(dir.resolve("data"), s -> s.withHttps(0));
        gw.createSite("shop", "shop.test");
        TestCerts.Leaf leaf = ca.leaf("shop", "ec", 2, "shop.test");
        gw.ok("POST", "/v1/certificates", Map.of("host", "shop.test", "certFile", leaf.cert().toString(),
                "keyFile", leaf.key().toString()));
        gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<p>shop</p>")));
    }

    @AfterEach
    void stop() {
        gw.close();
    }

    @Test
    void aPlainGetIsAnswered() throws Exception {
        try (H2 h2 = new H2()) {
            h2.frame(HEADERS, END_STREAM | END_HEADERS, 1, request("/"));
            int[] f = h2.nextFrameOf(1);
            assertThat(f[0]).as("a HEADERS answer").isEqualTo(HEADERS);
        }
    }

    @Test
    void aConnectionSpecificHeaderResetsTheStream() throws Exception {
        try (H2 h2 = new H2()) {
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.writeBytes(request("/"));
            literal(block, "connection", "keep-alive");
            h2.frame(HEADERS, END_STREAM | END_HEADERS, 1, block.toByteArray());
            int[] f = h2.nextFrameOf(1);
            assertThat(f[0]).as("RST_STREAM or GOAWAY, never an answer").isIn(RST_STREAM, GOAWAY);
            assertThat(f[1]).as("PROTOCOL_ERROR").isEqualTo(1);
        }
    }

    @Test
    void aRapidResetFloodEndsTheConnectionWithEnhanceYourCalm() throws Exception {
        try (H2 h2 = new H2()) {
            int sent = 0;
            try {
                for (int i = 0; i < 2_000; i++) {
                    int stream = 2 * i + 1;
                    h2.frame(HEADERS, END_STREAM | END_HEADERS, stream, request("/"));
                    h2.frame(RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8}); // CANCEL
                    sent++;
                }
            } catch (SocketException e) {
                // the gateway closed the connection while we were still flooding: that is the point
            }
            int[] goaway = h2.nextFrameOf(0, GOAWAY);
            System.out.println("rapid reset: connection ended after " + sent + " HEADERS+RST pairs sent, GOAWAY "
                    + (goaway == null ? "none (closed)" : "code " + goaway[1]));
            assertThat(goaway == null || goaway[1] == 0xb).as("GOAWAY ENHANCE_YOUR_CALM, or closed").isTrue();
            assertThat(h2.closedWithin(5_000)).isTrue();
        }
        try (H2 fresh = new H2()) {
            fresh.frame(HEADERS, END_STREAM | END_HEADERS, 1, request("/"));
            assertThat(fresh.nextFrameOf(1)[0]).as("other connections are served").isEqualTo(HEADERS);
        }
    }

    @Test
    void aContinuationFloodIsCutOffAtTheHeaderListLimit() throws Exception {
        try (H2 h2 = new H2()) {
            h2.frame(HEADERS, 0, 1, request("/"));
            long bytes = 0;
            try {
                for (int i = 0; i < 20_000; i++) {
                    ByteArrayOutputStream block = new ByteArrayOutputStream();
                    literal(block, "x-flood-" + i, "y".repeat(100));
                    h2.frame(CONTINUATION, 0, 1, block.toByteArray());
                    bytes += block.size();
                }
            } catch (SocketException e) {
                // cut off
            }
            System.out.println("CONTINUATION flood: " + bytes + " header bytes sent before the gateway stopped it");
            assertThat(h2.closedWithin(5_000)).as("the connection is ended").isTrue();
            assertThat(bytes).as("cut off long before 2 MB of headers").isLessThan(1_000_000);
        }
    }

    @Test
    void anHpackBombIsRefusedAtTheHeaderListLimit() throws Exception {
        try (H2 h2 = new H2()) {
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            block.writeBytes(request("/"));
            // one 4000-byte header into the dynamic table (literal with incremental indexing, new name)...
            block.write(0x40);
            block.write(1);
            block.write('x');
            block.write(0x7f); // value length 4000: 127 + varint(3873)
            int rest = 4000 - 127;
            while (rest >= 128) {
                block.write((rest & 0x7f) | 0x80);
                rest >>>= 7;
            }
            block.write(rest);
            block.writeBytes("y".repeat(4000).getBytes(StandardCharsets.US_ASCII));
            // ...then referenced 3000 times, one byte each: 12 MB of headers from 7 KB on the wire
            for (int i = 0; i < 3000; i++) {
                block.write(0x80 | 62);
            }
            byte[] all = block.toByteArray();
            h2.frame(HEADERS, END_STREAM | END_HEADERS, 1, all);
            int[] f = h2.nextFrameOf(1);
            // Netty answers 431 itself (a HEADERS frame whose :status is not 200's static entry 0x88), or resets
            assertThat(f == null || f[0] == RST_STREAM || f[0] == GOAWAY || f[0] == HEADERS && f[2] != 0x88)
                    .as("refused, never decoded into a request").isTrue();
        }
    }

    @Test
    void aPingFloodThatNeverReadsItsAnswersIsCutOff() throws Exception {
        // The acks pile up once the socket buffers between us are full (loopback autotunes them to several MB, and
        // BoringSSL packs many acks into one TLS record): Netty then closes at 10,000 queued control frames.
        byte[] burst = new byte[1000 * 17];
        for (int i = 0; i < 1000; i++) {
            burst[i * 17 + 2] = 8;   // length 8
            burst[i * 17 + 3] = 6;   // type PING, flags 0, stream 0, 8 zero bytes of opaque data
        }
        int max = 3_000_000;
        try (H2 h2 = new H2()) {
            int sent = 0;
            try {
                while (sent < max) {
                    h2.out.write(burst);
                    sent += 1000;
                }
                h2.out.flush();
            } catch (SocketException e) {
                // cut off
            }
            System.out.println("PING flood: " + sent + " PINGs sent before the gateway stopped it");
            assertThat(sent < max || h2.closedWithin(5_000)).as("the connection is ended").isTrue();
        }
    }

    private static byte[] request(String path) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x82); // :method GET
        b.write(0x87); // :scheme https
        if (path.equals("/")) {
            b.write(0x84); // :path /
        }
        b.write(0x01); // :authority, literal without indexing, indexed name 1
        byte[] host = "shop.test".getBytes(StandardCharsets.US_ASCII);
        b.write(host.length);
        b.writeBytes(host);
        return b.toByteArray();
    }

    /** A literal header field without indexing, new name (RFC 7541 §6.2.2); lengths under 127. */
    private static void literal(ByteArrayOutputStream b, String name, String value) {
        b.write(0x00);
        b.write(name.length());
        b.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
        b.write(value.length());
        b.writeBytes(value.getBytes(StandardCharsets.US_ASCII));
    }

    /** An HTTP/2 connection over TLS, spoken frame by frame. */
    private final class H2 implements AutoCloseable {
        final SSLSocket socket;
        final OutputStream out;
        final DataInputStream in;

        H2() throws IOException {
            socket = (SSLSocket) trusting.getSocketFactory().createSocket();
            socket.connect(new InetSocketAddress("127.0.0.1", gw.gateway().httpsPort()), 5_000);
            socket.setSoTimeout(5_000);
            SSLParameters p = socket.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName("shop.test")));
            p.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(p);
            socket.startHandshake();
            assertThat(socket.getApplicationProtocol()).isEqualTo("h2");
            out = socket.getOutputStream();
            in = new DataInputStream(socket.getInputStream());
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            frame(SETTINGS, 0, 0, new byte[0]);
        }

        void frame(int type, int flags, int stream, byte[] payload) throws IOException {
            byte[] head = {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length,
                    (byte) type, (byte) flags, (byte) (stream >>> 24), (byte) (stream >>> 16), (byte) (stream >>> 8),
                    (byte) stream};
            out.write(head);
            out.write(payload);
            out.flush();
        }

        /** The next frame on {@code stream} (or a GOAWAY): {type, error code for RST_STREAM/GOAWAY}. */
        int[] nextFrameOf(int stream) throws IOException {
            return nextFrameOf(stream, -1);
        }

        /** The next frame of {@code type} (any type when -1) on {@code stream}, or a GOAWAY; null when it closed. */
        int[] nextFrameOf(int stream, int type) throws IOException {
            try {
                while (true) {
                    int length = (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
                    int t = in.readUnsignedByte();
                    in.readUnsignedByte();
                    int s = in.readInt() & 0x7fffffff;
                    byte[] payload = in.readNBytes(length);
                    if (t == GOAWAY) {
                        return new int[] {GOAWAY, ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16)
                                | ((payload[6] & 0xff) << 8) | (payload[7] & 0xff)};
                    }
                    if (s == stream && (type < 0 || t == type)) {
                        int code = t == RST_STREAM ? ((payload[0] & 0xff) << 24) | ((payload[1] & 0xff) << 16)
                                | ((payload[2] & 0xff) << 8) | (payload[3] & 0xff) : 0;
                        return new int[] {t, code, payload.length > 0 ? payload[0] & 0xff : -1};
                    }
                }
            } catch (EOFException | SocketException e) {
                return null;
            }
        }

        /** Whether the gateway closes the connection within {@code millis} (reading whatever it still sends). */
        boolean closedWithin(long millis) throws IOException {
            socket.setSoTimeout((int) millis);
            InputStream raw = in;
            try {
                byte[] buffer = new byte[8192];
                long deadline = System.currentTimeMillis() + millis;
                while (System.currentTimeMillis() < deadline) {
                    if (raw.read(buffer) < 0) {
                        return true;
                    }
                }
                return false;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
