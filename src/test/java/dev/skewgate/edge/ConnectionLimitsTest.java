package dev.skewgate.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.config.EdgeLimits;
import dev.skewgate.config.ServeSettings;
import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The edge's connection caps answer 503 and close; slow request heads and bodies lose their connection. */
class ConnectionLimitsTest {

    @TempDir
    Path dir;
    private TestGateway gw;
    private final List<Socket> sockets = new ArrayList<>();

    private void start(EdgeLimits limits) throws IOException {
        UnaryOperator<ServeSettings> tune = s -> s.withLimits(limits);
        gw = TestGateway.start(dir, tune);
        gw.createSite("shop", "shop.test");
        gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>")));
    }

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (gw != null) {
            gw.close();
        }
    }

    @Test
    void closedProxiedConnectionsAreNoLongerCountedAgainstTheirClient() throws Exception {
        start(new EdgeLimits(100, 3, 100, Duration.ofSeconds(30), 500));
        try (dev.skewgate.testing.TestBackend api = dev.skewgate.testing.TestBackend.start("api")) {
            gw.activate("shop", gw.deployWithBackend("shop", Map.of("index.html", "<html><head></head></html>"),
                    api.url()));
            // Ten connections one after another from one address, each closed after a proxied request: with a cap
            // of three, a close the limits never saw (the proxy once took the connection's only close handler)
            // would refuse the fourth.
            for (int i = 0; i < 10; i++) {
                try (Socket s = connect()) {
                    assertThat(exchange(s, "/api/version")).as("connection %d", i).startsWith("HTTP/1.1 200");
                }
                Thread.sleep(50); // the close reaches the gateway's event loop asynchronously
            }
        }
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", gw.edgePort());
        s.setSoTimeout(10_000);
        sockets.add(s);
        return s;
    }

    /** Sends one request and reads its response head and body (Content-Length framed). */
    private static String exchange(Socket s, String path) throws IOException {
        s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: shop.test\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        InputStream in = s.getInputStream();
        String h = readHead(in);
        int length = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return h + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /** Whether the server closed the socket within the wait (a read returns end of stream). */
    private static boolean closedWithin(Socket s, Duration wait) throws IOException {
        s.setSoTimeout((int) wait.toMillis());
        try {
            InputStream in = s.getInputStream();
            while (in.read() >= 0) {
                // drain an error response, if any
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Test
    void connectionsOverTheGlobalCapGet503AndAreClosedAndASlotFreesWhenOneCloses() throws Exception {
        start(new EdgeLimits(4, 100, 100, Duration.ofSeconds(30), 0));
        List<Socket> kept = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Socket s = connect();
            assertThat(exchange(s, "/")).startsWith("HTTP/1.1 200");
            kept.add(s);
        }
        Socket over = connect();
        assertThat(exchange(over, "/")).startsWith("HTTP/1.1 503").contains("TOO_MANY_CONNECTIONS")
                .contains("connections open");
        assertThat(closedWithin(over, Duration.ofSeconds(5))).isTrue();

        kept.get(0).close();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        String answer;
        do {
            answer = exchange(connect(), "/");
        } while (!answer.startsWith("HTTP/1.1 200") && System.nanoTime() < deadline);
        assertThat(answer).startsWith("HTTP/1.1 200");
    }

    @Test
    void oneClientAddressIsCappedOnItsOwn() throws Exception {
        start(new EdgeLimits(100, 3, 100, Duration.ofSeconds(30), 0));
        for (int i = 0; i < 3; i++) {
            assertThat(exchange(connect(), "/")).startsWith("HTTP/1.1 200");
        }
        assertThat(exchange(connect(), "/")).startsWith("HTTP/1.1 503").contains("per client address");
    }

    @Test
    void eventStreamsHaveTheirOwnCapAndOrdinaryRequestsStillPass() throws Exception {
        start(new EdgeLimits(100, 100, 2, Duration.ofSeconds(30), 0));
        for (int i = 0; i < 2; i++) {
            Socket s = connect();
            s.getOutputStream().write("GET /_skewgate/events HTTP/1.1\r\nHost: shop.test\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 200");
        }
        assertThat(exchange(connect(), "/_skewgate/events")).startsWith("HTTP/1.1 503").contains("event streams");
        assertThat(exchange(connect(), "/")).startsWith("HTTP/1.1 200");
    }

    @Test
    void aRequestHeadSentByteByByteIsCutOffAtTheHeaderTimeout() throws Exception {
        start(new EdgeLimits(100, 100, 100, Duration.ofSeconds(1), 0));
        Socket s = connect();
        OutputStream out = s.getOutputStream();
        byte[] head = ("GET / HTTP/1.1\r\nHost: shop.test\r\nX-Slow: " + "a".repeat(60)).getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        boolean cut = false;
        s.setSoTimeout(150);
        for (byte b : head) {
            try {
                out.write(b);
                out.flush();
                if (s.getInputStream().read() < 0) {
                    cut = true;
                    break;
                }
            } catch (SocketTimeoutException e) {
                // still open: keep dripping
            } catch (IOException e) {
                cut = true;
                break;
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(cut).as("the connection was cut after %s", took).isTrue();
        assertThat(took).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void aKeptAliveConnectionWithoutANextRequestIsClosedAtTheHeaderTimeout() throws Exception {
        start(new EdgeLimits(100, 100, 100, Duration.ofSeconds(1), 0));
        Socket s = connect();
        assertThat(exchange(s, "/")).startsWith("HTTP/1.1 200");
        assertThat(closedWithin(s, Duration.ofSeconds(4))).isTrue();
    }

    @Test
    void aBodyTrickledBelowTheMinimumRateGets408AndLosesItsConnection() throws Exception {
        start(new EdgeLimits(100, 100, 100, Duration.ofSeconds(30), 1000));
        Socket s = connect();
        OutputStream out = s.getOutputStream();
        out.write("POST /_skewgate/notify HTTP/1.1\r\nHost: shop.test\r\nContent-Length: 60000\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        long start = System.nanoTime();
        boolean cut = false;
        StringBuilder answer = new StringBuilder();
        s.setSoTimeout(200);
        while (System.nanoTime() - start < Duration.ofSeconds(40).toNanos()) {
            try {
                if (answer.length() == 0) {
                    // Stop writing once the answer has begun: a write after the gateway's close draws a reset,
                    // which would discard the rest of the answer before it is read.
                    out.write("xxxxx".getBytes(StandardCharsets.US_ASCII)); // about 25 B/s
                    out.flush();
                }
                int b = s.getInputStream().read();
                if (b < 0) {
                    cut = true;
                    break;
                }
                answer.append((char) b);
            } catch (SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                cut = true;
                break;
            }
        }
        assertThat(cut).as("connection closed; answer so far: %s", answer).isTrue();
        assertThat(answer.toString()).startsWith("HTTP/1.1 408");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(25));
    }
}
