package dev.skewgate.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.LoggingBackend;
import dev.skewgate.testing.TestGateway;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Generated request framings against a real gateway over raw sockets, with a backend that records every request it
 * receives: chunk sizes (leading zeros, hex case, over 64 bits, whitespace), chunk extensions (valid and not), coding
 * lists with and without Content-Length, and Host / target combinations. Whatever the case, a body never becomes a
 * request (no smuggled request ever reaches the backend), a refused request never reaches it whole, and the answer is
 * the one the rules give (RFC 9112 §3.2, §6, §7.1).
 */
class FramingPropertyTest {

    static final String HOST = "shop.test";
    static final AtomicInteger CASES = new AtomicInteger();
    static Path dir;
    static TestGateway gw;
    static LoggingBackend backend;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("framing-property");
        backend = LoggingBackend.start();
        gw = TestGateway.start(dir);
        gw.createSite("shop", HOST);
        gw.ok("PATCH", "/v1/sites/shop", Map.of(
                "defaultBackend", Map.of("upstreams", List.of(backend.url()), "healthPath", "/"),
                "checks", Map.of("readinessProbes", 0, "synthetic", false)));
        gw.activate("shop", gw.deploy("shop", Map.of("index.html", "<html><head></head>x</html>")));
    }

    @AfterContainer
    static void stop() throws Exception {
        gw.close();
        backend.close();
    }

    /** One chunk: its size line as sent, the data, and whether the line is valid by §7.1. */
    record Chunk(String sizeLine, String data, boolean valid) {
    }

    /** A request to send and what must come of it: the status, and the body the backend must get (null: nothing). */
    record Case(String request, int status, String expectedBody, String id) {
        @Override
        public String toString() {
            return request.replace("\r", "\\r").replace("\n", "\\n") + " -> " + status;
        }
    }

    static final String SMUGGLED = "GET /api/smuggled HTTP/1.1\r\nHost: " + HOST + "\r\n\r\n";

    @Provide
    Arbitrary<Chunk> chunks() {
        Arbitrary<Integer> size = Arbitraries.integers().between(1, 60);
        Arbitrary<Integer> zeros = Arbitraries.integers().between(0, 20);
        Arbitrary<Boolean> upper = Arbitraries.of(true, false);
        Arbitrary<String> before = Arbitraries.of("", "", "", " ", "\t");
        Arbitrary<String> ext = Arbitraries.of("", "", ";a=b", ";a", ";a=\"q;v\"", " ; n = v", ";a=b;c", ";=b", ";a=",
                ";a=\"open", " ", ";a b", ";a=\"x\"y");
        Arbitrary<Boolean> overflow = Arbitraries.of(false, false, false, true);
        return Combinators.combine(size, zeros, upper, before, ext, overflow).as((n, z, up, ws, e, over) -> {
            String hex = Integer.toHexString(n);
            hex = up ? hex.toUpperCase(Locale.ROOT) : hex;
            // Over 64 bits: a 1 in front of 16 more digits, which modulo 2^64 leaves just n.
            String digits = over ? "1" + "0".repeat(16 - hex.length()) + hex : "0".repeat(z) + hex;
            boolean extValid = List.of("", ";a=b", ";a", ";a=\"q;v\"", " ; n = v", ";a=b;c").contains(e);
            boolean valid = ws.isEmpty() && !over && digits.length() <= 16 && extValid;
            String data = (SMUGGLED.repeat(3)).substring(0, n);
            return new Chunk(ws + digits + e, data, valid);
        });
    }

    @Property(tries = 120)
    void aChunkedBodyIsDecodedExactlyOrRefusedAndNeverBecomesARequest(@ForAll("chunkLists") List<Chunk> chunks)
            throws Exception {
        String id = "case-" + CASES.incrementAndGet();
        StringBuilder body = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        boolean valid = true;
        for (Chunk c : chunks) {
            body.append(c.sizeLine()).append("\r\n").append(c.data()).append("\r\n");
            expected.append(c.data());
            valid &= c.valid();
        }
        body.append("0\r\n\r\n").append(SMUGGLED);
        // Connection: close, so that whatever follows the body on this connection must never be read as a request.
        String request = "POST /api/" + id + " HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + body;
        check(new Case(request, valid ? 200 : 400, valid ? expected.toString() : null, id));
    }

    @Provide
    Arbitrary<List<Chunk>> chunkLists() {
        return chunks().list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 120)
    void onlyAFinalChunkedCodingWithoutContentLengthIsAccepted(
            @ForAll("codings") List<String> codings, @ForAll boolean twoFields, @ForAll boolean contentLength)
            throws Exception {
        String id = "case-" + CASES.incrementAndGet();
        String fields = twoFields && codings.size() > 1
                ? "Transfer-Encoding: " + String.join(", ", codings.subList(0, 1)) + "\r\nTransfer-Encoding: "
                        + String.join(", ", codings.subList(1, codings.size())) + "\r\n"
                : "Transfer-Encoding: " + String.join(", ", codings) + "\r\n";
        String chunked = "5\r\nhello\r\n0\r\n\r\n";
        String request = "POST /api/" + id + " HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n" + fields
                + (contentLength ? "Content-Length: " + chunked.length() + "\r\n" : "") + "\r\n" + chunked + SMUGGLED;
        List<String> named = codings.stream().map(c -> c.trim().toLowerCase(Locale.ROOT)).filter(c -> !c.isEmpty()).toList();
        List<String> before = named.isEmpty() ? List.of() : named.subList(0, named.size() - 1);
        int status = contentLength || named.isEmpty() || !named.get(named.size() - 1).equals("chunked") ? 400
                : before.contains("chunked") ? 400
                : !before.isEmpty() ? 501
                : 200;
        check(new Case(request, status, status == 200 ? "hello" : null, id));
    }

    @Provide
    Arbitrary<List<String>> codings() {
        return Arbitraries.of("chunked", "Chunked", "gzip", "identity", "xchunked", "", "deflate", " chunked ")
                .list().ofMinSize(1).ofMaxSize(3);
    }

    @Property(tries = 100)
    void requestsAreRoutedByOneValidHostOrRefused(@ForAll("hostLists") List<String> hosts,
                                                  @ForAll("authorities") String absolute) throws Exception {
        String id = "case-" + CASES.incrementAndGet();
        String target = absolute.isEmpty() ? "/api/" + id : "http://" + absolute + "/api/" + id;
        StringBuilder request = new StringBuilder("GET " + target + " HTTP/1.1\r\n");
        hosts.forEach(h -> request.append("Host: ").append(h).append("\r\n"));
        request.append("Connection: close\r\n\r\n");
        int status;
        if (hosts.size() != 1 || hosts.get(0).isBlank() || hosts.get(0).contains(" ")) {
            status = 400;
        } else if (absolute.contains("@")) {
            status = 400;
        } else {
            String routed = (absolute.isEmpty() ? hosts.get(0) : absolute).toLowerCase(Locale.ROOT);
            status = routed.equals(HOST) ? 200 : 404;
        }
        check(new Case(request.toString(), status, status == 200 ? "" : null, id));
    }

    @Provide
    Arbitrary<List<String>> hostLists() {
        return Arbitraries.of(HOST, "SHOP.TEST", "other.test", "", "bad host").list().ofMinSize(0).ofMaxSize(2);
    }

    @Provide
    Arbitrary<String> authorities() {
        return Arbitraries.of("", "", HOST, "other.test", "user:pw@" + HOST, "Shop.Test");
    }

    /** Sends the case on a new connection, then checks the answer and what the backend saw. */
    private static void check(Case c) throws Exception {
        String answer = send(c.request());
        assertThat(answer).as(c.toString()).startsWith("HTTP/1.1 " + c.status() + " ");
        if (c.status() >= 400) {
            assertThat(answer).as("a refusal closes the connection: " + c).endsWith("<closed>");
        }
        // The backend has finished with every connection the gateway opened for this case (or none was opened).
        long deadline = System.currentTimeMillis() + 5_000;
        while (backend.open.get() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        List<LoggingBackend.Seen> mine = new ArrayList<>();
        for (LoggingBackend.Seen s : backend.seen) {
            assertThat(s.target()).as("a body became a request").doesNotContain("smuggled");
            if (s.target().endsWith("/" + c.id())) {
                mine.add(s);
            }
        }
        if (c.expectedBody() == null) {
            assertThat(mine).as("a refused request never reaches the backend whole: " + c)
                    .noneMatch(LoggingBackend.Seen::complete);
        } else {
            assertThat(mine).as(c.toString()).hasSize(1);
            assertThat(mine.get(0).complete()).isTrue();
            assertThat(mine.get(0).target()).as("origin-form upstream").isEqualTo("/api/" + c.id());
            assertThat(mine.get(0).head().toLowerCase(Locale.ROOT)).contains("\r\nhost: " + HOST + "\r\n");
            assertThat(mine.get(0).bodyText()).isEqualTo(c.expectedBody());
        }
    }

    private static String send(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", gw.edgePort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            String end = "<closed>";
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    got.write(buf, 0, n);
                }
            } catch (java.net.SocketTimeoutException e) {
                end = "<open>";
            } catch (java.net.SocketException e) {
                end = "<closed>"; // reset after the answer
            }
            return got.toString(StandardCharsets.ISO_8859_1) + end;
        }
    }
}
