package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CLI's HTTP/1.1 transport against a real socket server that answers as written here: connections are reused,
 * a GET on a connection the server has closed meanwhile goes out again on a new one, and answers without a length
 * are read to their end.
 */
class Http1ClientTest {

    ServerSocket server;
    final AtomicInteger connections = new AtomicInteger();
    final List<String> requestLines = new CopyOnWriteArrayList<>();

    /** Serves every connection: {@code answersPerConnection} answers, then closes it (0: as many as asked). */
    private URI serve(int answersPerConnection, String answer) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.incrementAndGet();
                    Thread t = new Thread(() -> answer(s, answersPerConnection, answer));
                    t.setDaemon(true);
                    t.start();
                } catch (IOException closed) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void answer(Socket s, int max, String answer) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = s.getOutputStream();
            for (int n = 0; max == 0 || n < max; n++) {
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                requestLines.add(line);
                int length = 0;
                for (String h = in.readLine(); h != null && !h.isEmpty(); h = in.readLine()) {
                    if (h.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(h.substring(15).trim());
                    }
                }
                in.skip(length);
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException gone) {
            // the client went away: nothing to answer
        }
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private static String get(Http1Client client, String path) throws IOException {
        Http1Client.Response r = client.send("GET", path, List.of(), null, 10_000);
        return r.status() + " " + new String(Http1Client.readAll(r), StandardCharsets.UTF_8);
    }

    @Test
    void requestsShareOneKeptAliveConnection() throws IOException {
        Http1Client client = new Http1Client(serve(0, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"));
        assertThat(get(client, "/a")).isEqualTo("200 {}");
        Http1Client.Response posted = client.send("POST", "/b", List.of("Content-Type", "application/json"),
                new Http1Client.Bytes("{\"x\":1}".getBytes(StandardCharsets.UTF_8)), 10_000);
        assertThat(new String(Http1Client.readAll(posted), StandardCharsets.UTF_8)).isEqualTo("{}");
        assertThat(get(client, "/c")).isEqualTo("200 {}");
        assertThat(connections).hasValue(1);
        assertThat(requestLines).containsExactly("GET /a HTTP/1.1", "POST /b HTTP/1.1", "GET /c HTTP/1.1");
    }

    /** The server answers once per connection and closes it: each GET still gets its answer, on a new connection. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            kept-alive answer, closed by the server afterwards (the GET is sent again) | HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\n{} | 200 {}
            answer without a length, read to the close (the connection is not reused) | HTTP/1.1 404 Not Found\\r\\nConnection: close\\r\\n\\r\\nnope | 404 nope
            """)
    void aConnectionTheServerClosedIsNotUsedAgain(String what, String answer, String expected) throws IOException {
        Http1Client client = new Http1Client(serve(1, answer.replace("\\r\\n", "\r\n")));
        assertThat(get(client, "/a")).isEqualTo(expected);
        assertThat(get(client, "/b")).isEqualTo(expected);
        assertThat(connections).hasValue(2);
    }

    @Test
    void aBasePathPrefixesEveryRequest() throws IOException {
        URI base = serve(0, "HTTP/1.1 204 No Content\r\n\r\n");
        Http1Client client = new Http1Client(URI.create(base + "/gateway/"));
        assertThat(get(client, "/v1/health")).isEqualTo("204 ");
        assertThat(requestLines).containsExactly("GET /gateway/v1/health HTTP/1.1");
    }

    @Test
    void anAddressThatIsNotHttpIsRefusedWithAMessage() {
        assertThatThrownBy(() -> new Http1Client(URI.create("ftp://127.0.0.1:21"))).isInstanceOf(CliException.class)
                .hasMessageContaining("is not an http:// or https:// address");
    }
}
