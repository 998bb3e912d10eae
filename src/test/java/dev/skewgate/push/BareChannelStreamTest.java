package dev.skewgate.push;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.Await;
import dev.skewgate.testing.SseClient;
import dev.skewgate.testing.TestCerts;
import dev.skewgate.testing.TestGateway;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An HTTP/1.1 event stream becomes a bare channel once open (the edge drops the HTTP machinery): over raw sockets
 * every stream gets the same bytes, closed clients leave the counts, a client that stops reading is dropped without
 * holding up the others and resumes by Last-Event-ID, shutdown ends the streams cleanly; HTTPS over HTTP/1.1 is taken
 * over too, and HTTP/2 streams stay Vert.x responses.
 */
class BareChannelStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String HOST = "shop.test";

    @TempDir
    Path dir;

    @Test
    void manyStreamsGetOneBroadcastAsTheSameChunkBytes() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            String v1 = liveSite(gw);
            String v2 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v2</body></html>"));
            List<RawStream> streams = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) {
                    streams.add(RawStream.open(gw.edgePort(), "/_skewgate/events?deployment=" + v1, 0));
                }
                for (RawStream s : streams) {
                    assertThat(s.head).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
                    s.untilEvent("hello");
                }
                Await.until("every stream is a bare channel", WAIT.toMillis(),
                        () -> gw.gateway().push().streamsOnChannels() == 200);
                assertThat(gw.gateway().openClients("shop")).isEqualTo(Map.of(v1, 200));

                gw.activate("shop", v2);
                byte[] first = streams.get(0).chunk();
                for (RawStream s : streams.subList(1, streams.size())) {
                    assertThat(s.chunk()).as("the same chunk on every stream").isEqualTo(first);
                }
                String chunk = new String(first, StandardCharsets.UTF_8);
                Matcher m = Pattern.compile("([0-9a-f]+)\r\n(id: \\d+\nevent: deployment\ndata: \\{[^\n]*\\}\n\n)\r\n")
                        .matcher(chunk);
                assertThat(m.matches()).as(chunk).isTrue();
                assertThat(Integer.parseInt(m.group(1), 16)).isEqualTo(m.group(2).getBytes(StandardCharsets.UTF_8).length);
                assertThat(m.group(2)).contains("\"deployment\":\"" + v2 + "\"");
            } finally {
                for (RawStream s : streams) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aClientThatClosesLeavesTheCounts() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            String v1 = liveSite(gw);
            List<RawStream> streams = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                RawStream s = RawStream.open(gw.edgePort(), "/_skewgate/events?deployment=" + v1, 0);
                s.untilEvent("hello");
                streams.add(s);
            }
            Await.until("5 bare channels", WAIT.toMillis(), () -> gw.gateway().push().streamsOnChannels() == 5);
            assertThat(gw.gateway().openClients("shop")).isEqualTo(Map.of(v1, 5));
            streams.get(0).close();
            streams.get(1).close();
            Await.until("the closed streams are gone from the counts", WAIT.toMillis(),
                    () -> gw.gateway().openClients("shop").equals(Map.of(v1, 3))
                            && gw.gateway().push().streamsOnChannels() == 3);
            for (RawStream s : streams.subList(2, 5)) {
                s.close();
            }
            Await.until("no stream left", WAIT.toMillis(), () -> gw.gateway().openClients("shop").isEmpty()
                    && gw.gateway().push().streamsOnChannels() == 0);
        }
    }

    @Test
    void aClientThatStopsReadingIsDroppedWithoutHoldingUpOthersAndResumesByLastEventId() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            String v1 = liveSite(gw);
            // A small receive window: the server's socket buffer fills, then its channel's outbound buffer.
            RawStream slow = RawStream.open(gw.edgePort(), "/_skewgate/events?deployment=" + v1, 4096);
            long hello = Long.parseLong(slow.untilEvent("hello").get("id"));
            try (SseClient fast = SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=" + v1)) {
                fast.next("hello", WAIT);
                Await.until("both are bare channels", WAIT.toMillis(), () -> gw.gateway().push().streamsOnChannels() == 2);
                String pad = "x".repeat(48 * 1024);
                int events = 120; // 5.6 MiB, within the 128 notices kept for resumption
                for (int i = 1; i <= events; i++) {
                    gw.gateway().push().announce(new ChangeNotice.ConfigChanged("shop", hello + i, i,
                            Optional.of("{\"pad\":\"" + pad + "\"}")));
                    SseClient.Event e = fast.next("config", WAIT);
                    assertThat(e.id()).as("the reading client has each event as it is sent").isEqualTo(String.valueOf(hello + i));
                }
                Await.until("the slow reader was dropped", WAIT.toMillis(),
                        () -> gw.gateway().push().streamsOnChannels() == 1);

                List<Long> seen = new ArrayList<>();
                for (Map<String, String> e : slow.eventsUntilClosed()) {
                    if ("config".equals(e.get("event"))) {
                        seen.add(Long.parseLong(e.get("id")));
                    }
                }
                assertThat(seen.size()).as("dropped before the end").isLessThan(events);
                long last = seen.isEmpty() ? hello : seen.get(seen.size() - 1);
                try (SseClient resumed = SseClient.open(gw.edgePort(), HOST, "/_skewgate/events?deployment=" + v1,
                        "Last-Event-ID: " + last)) {
                    while (seen.size() < events) {
                        seen.add(Long.parseLong(resumed.next("config", WAIT).id()));
                    }
                }
                List<Long> all = new ArrayList<>();
                for (int i = 1; i <= events; i++) {
                    all.add(hello + i);
                }
                assertThat(seen).as("every event once, in order").isEqualTo(all);
            }
        }
    }

    @Test
    void shutdownEndsABareStreamWithTheLastChunk() throws Exception {
        TestGateway gw = TestGateway.start(dir);
        RawStream s;
        try {
            liveSite(gw);
            s = RawStream.open(gw.edgePort(), "/_skewgate/events", 0);
            s.untilEvent("hello");
            Await.until("a bare channel", WAIT.toMillis(), () -> gw.gateway().push().streamsOnChannels() == 1);
        } finally {
            gw.close();
        }
        assertThat(new String(s.rest(), StandardCharsets.US_ASCII)).endsWith("0\r\n\r\n");
        s.close();
    }

    @Test
    void httpsStreamsAreTakenOverOnHttp11AndStayResponsesOnHttp2AndBothGetEvents() throws Exception {
        TestCerts ca = TestCerts.ca(dir.resolve("certs"));
        try (TestGateway gw = TestGateway.start(dir.resolve("data"), s -> s.withHttps(0))) {
            gw.createSite("shop", HOST);
            TestCerts.Leaf leaf = ca.leaf("shop", "ec", 2, HOST);
            gw.ok("POST", "/v1/certificates", Map.of("host", HOST, "certFile", leaf.cert().toString(),
                    "keyFile", leaf.key().toString()));
            String v1 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>"));
            String v2 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v2</body></html>"));
            gw.activate("shop", v1);
            String url = "https://" + HOST + ":" + gw.gateway().httpsPort() + "/_skewgate/events?deployment=" + v1;
            try (Curl h1 = Curl.stream(ca, gw.gateway().httpsPort(), "--http1.1", url)) {
                h1.until("event: hello");
                Await.until("the HTTP/1.1 stream is a bare channel", WAIT.toMillis(),
                        () -> gw.gateway().push().streamsOnChannels() == 1);
                try (Curl h2 = Curl.stream(ca, gw.gateway().httpsPort(), "--http2", url)) {
                    h2.until("event: hello");
                    Await.until("both streams count", WAIT.toMillis(),
                            () -> gw.gateway().openClients("shop").equals(Map.of(v1, 2)));
                    assertThat(gw.gateway().push().streamsOnChannels()).as("an HTTP/2 stream keeps its connection")
                            .isEqualTo(1);
                    gw.activate("shop", v2);
                    h1.until("event: deployment");
                    h2.until("event: deployment");
                    assertThat(h1.until("data: ")).contains(v2);
                    assertThat(h2.until("data: ")).contains(v2);
                }
            }
        }
    }

    /** Creates the site with one active deployment; returns its id. */
    private static String liveSite(TestGateway gw) {
        gw.createSite("shop", HOST);
        String v1 = gw.deploy("shop", Map.of("index.html", "<html><head></head><body>v1</body></html>"));
        gw.activate("shop", v1);
        return v1;
    }

    /** An event stream read as raw bytes: its head, then HTTP/1.1 chunks. */
    private static final class RawStream implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final String head;

        private RawStream(Socket socket, InputStream in, String head) {
            this.socket = socket;
            this.in = in;
            this.head = head;
        }

        static RawStream open(int port, String path, int receiveBuffer) throws IOException {
            Socket socket = new Socket();
            if (receiveBuffer > 0) {
                socket.setReceiveBufferSize(receiveBuffer);
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + HOST
                    + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            return new RawStream(socket, in, line(in, "\r\n\r\n"));
        }

        /** Reads up to and including {@code end}. */
        private static String line(InputStream in, String end) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            while (!out.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("closed after " + out);
                }
                out.write(b);
            }
            return out.toString(StandardCharsets.UTF_8);
        }

        /** One whole chunk, with its size line and trailing CRLF. */
        byte[] chunk() throws IOException {
            String size = line(in, "\r\n");
            int n = Integer.parseInt(size.trim(), 16);
            byte[] body = in.readNBytes(n + 2);
            if (body.length < n + 2) {
                throw new EOFException("chunk cut short");
            }
            byte[] all = Arrays.copyOf(size.getBytes(StandardCharsets.US_ASCII), size.length() + body.length);
            System.arraycopy(body, 0, all, size.length(), body.length);
            return all;
        }

        /** The fields of the event in one chunk ("id", "event", "data"); empty for a comment or a retry hint. */
        static Map<String, String> fields(byte[] chunk) {
            String text = new String(chunk, StandardCharsets.UTF_8);
            Map<String, String> out = new java.util.HashMap<>();
            for (String l : text.substring(text.indexOf("\r\n") + 2).split("\n")) {
                int colon = l.indexOf(": ");
                if (colon > 0) {
                    out.put(l.substring(0, colon), l.substring(colon + 2));
                }
            }
            return out;
        }

        Map<String, String> untilEvent(String type) throws IOException {
            while (true) {
                Map<String, String> f = fields(chunk());
                if (type.equals(f.get("event"))) {
                    return f;
                }
            }
        }

        /** Every whole event chunk until the server closes (a chunk cut short by the close is not counted). */
        List<Map<String, String>> eventsUntilClosed() throws IOException {
            List<Map<String, String>> out = new ArrayList<>();
            try {
                while (true) {
                    out.add(fields(chunk()));
                }
            } catch (EOFException | java.net.SocketException e) {
                return out;
            }
        }

        byte[] rest() throws IOException {
            return in.readAllBytes();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** curl reading an event stream over HTTPS; its output lines are collected as they come. */
    private static final class Curl implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private Curl(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // curl ended
                }
            }, "curl-sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        static Curl stream(TestCerts ca, int port, String version, String url) throws IOException {
            return new Curl(new ProcessBuilder("curl", "-sSN", version, "--cacert", ca.caCert().toString(),
                    "--resolve", HOST + ":" + port + ":127.0.0.1", "-H", "Accept: text/event-stream", url)
                    .redirectErrorStream(true).start());
        }

        /** The next line that starts with {@code prefix}, skipping others. */
        String until(String prefix) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                String l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (l == null) {
                    throw new AssertionError("curl printed no line starting with '" + prefix + "' within " + WAIT);
                }
                if (l.startsWith(prefix)) {
                    return l;
                }
            }
        }

        @Override
        public void close() {
            process.destroy();
        }
    }
}
