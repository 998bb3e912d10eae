package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

/**
 * How {@code logs} asks for lines and reads a followed answer: each line is handed over when it arrives, not when the
 * answer ends. The gateway's endpoint is the lead's; the client's side is tested over real HTTP against a JDK server
 * that answers in chunks as a followed log does.
 */
class LogsStreamTest {

    HttpServer server;
    final CountDownLatch firstLineSeen = new CountDownLatch(1);
    final List<String> queries = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/deployments/dpl_1/logs", exchange -> {
            queries.add(exchange.getRequestURI().getRawQuery());
            exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(200, 0); // 0: chunked, as a followed log is
            try (OutputStream out = exchange.getResponseBody()) {
                out.write("2026-12-02T08:40:00.123Z [1] listening\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                // The second line is only written once the client has shown the first: a client that waited for the
                // end of the answer would see the first line only after 10 s, and never the second.
                if (!firstLineSeen.await(10, TimeUnit.SECONDS)) {
                    return;
                }
                out.write("2026-12-02T08:40:01.000Z [2] GET /api/health 200\n".getBytes(StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.createContext("/v1/deployments/dpl_gone/logs", exchange -> {
            byte[] body = "{\"error\":\"DEPLOYMENT_NOT_FOUND\",\"message\":\"no deployment dpl_gone\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private AdminClient admin() {
        return new AdminClient("http://127.0.0.1:" + server.getAddress().getPort(), "t");
    }

    @Test
    void linesArriveWhileTheAnswerIsStillOpen() {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        admin().streamLines("/v1/deployments/dpl_1/logs?follow=true", line -> {
            lines.add(line);
            firstLineSeen.countDown();
        });
        assertThat(lines).containsExactly("2026-12-02T08:40:00.123Z [1] listening",
                "2026-12-02T08:40:01.000Z [2] GET /api/health 200");
    }

    @Test
    void anErrorAnswerIsThePlainMessage() {
        assertThatThrownBy(() -> admin().streamLines("/v1/deployments/dpl_gone/logs", line -> { }))
                .isInstanceOf(CliException.class).hasMessage("no deployment dpl_gone (DEPLOYMENT_NOT_FOUND)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            shop                                       | /v1/sites/shop/logs?lines=200
            shop dpl_1                                 | /v1/deployments/dpl_1/logs?lines=200
            shop dpl_1 --instance 2 --since 10m -n 50  | /v1/deployments/dpl_1/logs?instance=2&since=10m&lines=50
            shop --follow                              | /v1/sites/shop/logs?lines=200&follow=true
            shop -f --since 2026-12-02T08:40:00Z       | /v1/sites/shop/logs?since=2026-12-02T08%3A40%3A00Z&lines=200&follow=true
            """)
    void theQueryCarriesTheFlags(String args, String path) {
        LogsCommand logs = new LogsCommand();
        new CommandLine(logs).parseArgs(args.split(" "));
        assertThat(logs.path()).isEqualTo(path);
    }
}
