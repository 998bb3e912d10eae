package dev.skewgate.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw HTTP/1.1 backend on an ephemeral port that records every request it receives — its target, its body and
 * whether the body arrived whole by its own framing — and answers each complete one {@code 200 ok} with
 * {@code Connection: close}. For framing tests: it counts requests, so a body that became a request shows.
 */
public final class LoggingBackend implements AutoCloseable {

    /** One request as the backend saw it; {@code complete} is false when the connection ended inside it. */
    public record Seen(String target, String head, byte[] body, boolean complete) {
        public String bodyText() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    private final ServerSocket server;
    private final Thread acceptor;
    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    public final AtomicInteger open = new AtomicInteger();
    public final AtomicInteger accepted = new AtomicInteger();

    private LoggingBackend() throws IOException {
        server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "logging-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static LoggingBackend start() throws IOException {
        return new LoggingBackend();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                open.incrementAndGet();
                Thread t = new Thread(() -> serve(s), "logging-backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s; InputStream in = s.getInputStream()) {
            s.setSoTimeout(10_000);
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String target = head.split(" ", 3).length > 1 ? head.split(" ", 3)[1] : "";
                String lower = head.toLowerCase();
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                boolean complete;
                if (lower.contains("\r\ntransfer-encoding: chunked")) {
                    complete = readChunked(in, body);
                } else {
                    int at = lower.indexOf("\r\ncontent-length: ");
                    long length = at < 0 ? 0 : Long.parseLong(lower.substring(at + 18, lower.indexOf("\r\n", at + 2)).trim());
                    complete = readFixed(in, body, length);
                }
                seen.add(new Seen(target, head, body.toByteArray(), complete));
                if (!complete) {
                    return;
                }
                s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                return;
            }
        } catch (IOException | RuntimeException e) {
            // the connection ended badly: what was read is recorded already
        } finally {
            open.decrementAndGet();
        }
    }

    /** The head up to and without the blank line, or null at EOF before a whole head. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while ((b = in.read()) >= 0) {
            head.write(b);
            matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : b == '\r' ? 1 : 0;
            if (matched == 4) {
                String text = head.toString(StandardCharsets.ISO_8859_1);
                return text.substring(0, text.length() - 2);
            }
        }
        return null;
    }

    private static boolean readFixed(InputStream in, ByteArrayOutputStream body, long length) throws IOException {
        for (long i = 0; i < length; i++) {
            int b = in.read();
            if (b < 0) {
                return false;
            }
            body.write(b);
        }
        return true;
    }

    private static boolean readChunked(InputStream in, ByteArrayOutputStream body) throws IOException {
        while (true) {
            String line = readLine(in);
            if (line == null) {
                return false;
            }
            int size = Integer.parseInt(line.split(";", 2)[0].trim(), 16);
            if (size == 0) {
                while (true) {
                    String trailer = readLine(in);
                    if (trailer == null) {
                        return false;
                    }
                    if (trailer.isEmpty()) {
                        return true;
                    }
                }
            }
            if (!readFixed(in, body, size)) {
                return false;
            }
            if (in.read() != '\r' || in.read() != '\n') {
                return false;
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                return line.toString().replace("\r", "");
            }
            line.append((char) b);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
