package dev.skewgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.testing.TestGateway;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The proxy's own connections to a backend (the Netty-level pool): reuse, whole bodies both ways however they are
 * framed, an answer before the request body, interim 1xx answers, a backend that closes after each answer.
 */
class ProxyConnectionsTest {

    private static final String HOST = "shop.localhost";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    java.nio.file.Path dir;

    private final Vertx vertx = Vertx.vertx();
    private final AtomicInteger connections = new AtomicInteger();
    private final Map<String, String> received = new ConcurrentHashMap<>();
    private HttpServer backend;
    private TestGateway gw;

    @BeforeEach
    void start() throws Exception {
        backend = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .connectionHandler(c -> connections.incrementAndGet())
                .requestHandler(req -> {
                    switch (req.path()) {
                        case "/api/health" -> req.response().end("ok");
                        case "/api/upload" -> req.body().onSuccess(body -> {
                            received.put(req.getHeader("x-case"), sha256(body.getBytes()) + " " + body.length()
                                    + " " + (req.getHeader("transfer-encoding") == null ? "length" : "chunked"));
                            req.response().end("got " + body.length());
                        });
                        case "/api/download" -> {
                            byte[] bytes = bytes(Integer.parseInt(req.getParam("size")), 7);
                            if (req.getParam("chunked") != null) {
                                req.response().setChunked(true);
                                for (int at = 0; at < bytes.length; at += 65_536) {
                                    req.response().write(Buffer.buffer(java.util.Arrays.copyOfRange(bytes, at,
                                            Math.min(bytes.length, at + 65_536))));
                                }
                                req.response().end();
                            } else {
                                req.response().end(Buffer.buffer(bytes));
                            }
                        }
                        case "/api/early" -> req.response().setStatusCode(413).end("too large");
                        case "/api/continue" -> {
                            req.response().writeContinue();
                            req.response().end("after continue");
                        }
                        case "/api/closing" -> req.response().putHeader("connection", "close").end("closing");
                        default -> req.response().setStatusCode(404).end();
                    }
                })
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        gw = TestGateway.start(dir.resolve("data"));
        gw.createSite("shop", HOST);
        String v1 = gw.deployWithBackend("shop", Map.of("index.html", "<html>v1</html>"),
                "http://127.0.0.1:" + backend.actualPort());
        gw.activate("shop", v1);
    }

    @AfterEach
    void stop() throws Exception {
        if (gw != null) {
            gw.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void sequentialRequestsReuseOneKeptAliveConnection() throws Exception {
        get("/api/download?size=10"); // warm: the activation's own checks may hold connections of their own
        int before = connections.get();
        for (int i = 0; i < 50; i++) {
            HttpResponse<byte[]> r = get("/api/download?size=100");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(bytes(100, 7));
        }
        assertThat(connections.get() - before).as("new backend connections for 50 sequential requests").isLessThanOrEqualTo(2);
    }

    @Test
    void largeBodiesArriveWholeBothWaysInEitherFraming() throws Exception {
        byte[] upload = bytes(10 << 20, 3);
        String sha = sha256(upload);
        assertThat(post("/api/upload", "fixed", HttpRequest.BodyPublishers.ofByteArray(upload)).statusCode()).isEqualTo(200);
        assertThat(received.get("fixed")).isEqualTo(sha + " " + upload.length + " length");
        assertThat(post("/api/upload", "chunked",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(upload))).statusCode()).isEqualTo(200);
        assertThat(received.get("chunked")).isEqualTo(sha + " " + upload.length + " chunked");

        byte[] expected = bytes(10 << 20, 7);
        for (String path : new String[] {"/api/download?size=" + expected.length,
                "/api/download?chunked=1&size=" + expected.length}) {
            HttpResponse<byte[]> r = get(path);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(sha256(r.body())).as(path).isEqualTo(sha256(expected));
        }
    }

    @Test
    void anAnswerBeforeTheBodyReachesTheClientAndTheNextRequestsStillWork() throws Exception {
        byte[] upload = bytes(4 << 20, 5);
        HttpResponse<byte[]> early = post("/api/early", "early", HttpRequest.BodyPublishers.ofByteArray(upload));
        assertThat(early.statusCode()).isEqualTo(413);
        assertThat(new String(early.body())).isEqualTo("too large");
        for (int i = 0; i < 5; i++) {
            assertThat(get("/api/download?size=10").statusCode()).isEqualTo(200);
        }
        assertThat(post("/api/upload", "after", HttpRequest.BodyPublishers.ofByteArray(upload)).statusCode()).isEqualTo(200);
        assertThat(received.get("after")).isEqualTo(sha256(upload) + " " + upload.length + " length");
    }

    @Test
    void anInterimContinueIsSkippedAndTheFinalAnswerRelayed() throws Exception {
        HttpResponse<byte[]> r = get("/api/continue");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(new String(r.body())).isEqualTo("after continue");
        assertThat(get("/api/download?size=10").statusCode()).isEqualTo(200);
    }

    @Test
    void aBackendThatClosesAfterEachAnswerIsNeverReusedAndEveryRequestSucceeds() throws Exception {
        for (int i = 0; i < 20; i++) {
            HttpResponse<byte[]> r = get("/api/closing");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(new String(r.body())).isEqualTo("closing");
        }
    }

    private HttpResponse<byte[]> get(String path) throws Exception {
        return CLIENT.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpResponse<byte[]> post(String path, String caseName, HttpRequest.BodyPublisher body) throws Exception {
        return CLIENT.send(request(path).header("x-case", caseName).POST(body).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gw.edgePort() + path))
                .timeout(Duration.ofSeconds(30)).header("Host", HOST);
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
