package dev.skewgate.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * The CLI's HTTP/1.1 transport: blocking sockets with keep-alive, TLS only for an {@code https} address. The JDK's
 * {@code java.net.http} client sets up TLS, a selector thread and some 600 classes before its first request, most of
 * a short command's time; this one costs a socket. Its requests are the admin API's: a fixed-length body or none.
 */
final class Http1Client {

    /** A request body: the bytes of a JSON document, or a file streamed as it is. */
    sealed interface Body permits Bytes, FileBody {
        long length();
    }

    record Bytes(byte[] bytes) implements Body {
        public long length() {
            return bytes.length;
        }
    }

    record FileBody(Path file, long length) implements Body {
    }

    /** A response: its status and its body, read as it arrives; closing the body hands the connection back. */
    record Response(int status, InputStream body) {
    }

    private static final int CONNECT_TIMEOUT_MS = 10_000;
    /** A connection idle for longer may have been closed by a proxy in between; it is not reused for a POST. */
    private static final long FRESH_NANOS = 2_000_000_000L;

    private final boolean tls;
    private final String host;
    private final int port;
    private final String prefix;
    private final String hostHeader;
    private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

    Http1Client(URI base) {
        String scheme = base.getScheme() == null ? "" : base.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || base.getHost() == null) {
            throw new CliException("the admin URL " + base + " is not an http:// or https:// address");
        }
        this.tls = scheme.equals("https");
        String h = base.getHost();
        this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
        this.port = base.getPort() > 0 ? base.getPort() : tls ? 443 : 80;
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        this.prefix = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.hostHeader = h + (base.getPort() > 0 ? ":" + base.getPort() : "");
    }

    /**
     * Sends one request and returns once the response head is read. {@code readTimeoutMs} 0 waits for ever (a
     * followed log). A reused connection that turns out closed is retried once on a new one when the request is
     * idempotent, or when it was idle so briefly that the server cannot have dropped it for idleness.
     */
    Response send(String method, String path, List<String> headers, Body body, int readTimeoutMs) throws IOException {
        boolean idempotent = !method.equals("POST") && !method.equals("PATCH");
        while (true) {
            Connection c = idle.pollFirst();
            boolean reused = c != null;
            if (c != null && !idempotent && System.nanoTime() - c.idleSince > FRESH_NANOS) {
                c.close();
                c = null;
                reused = false;
            }
            if (c == null) {
                c = open();
            }
            try {
                c.socket.setSoTimeout(readTimeoutMs);
                writeRequest(c, method, path, headers, body);
                return readResponse(c);
            } catch (IOException e) {
                c.close();
                if (!reused || !(e instanceof EOFException || e instanceof java.net.SocketException)) {
                    throw e;
                }
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
        }
    }

    private Connection open() throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
            if (tls) {
                javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ((javax.net.ssl.SSLSocketFactory)
                        javax.net.ssl.SSLSocketFactory.getDefault()).createSocket(socket, host, port, true);
                javax.net.ssl.SSLParameters params = s.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS"); // check the certificate names the host
                s.setSSLParameters(params);
                s.startHandshake();
                socket = s;
            }
            return new Connection(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private void writeRequest(Connection c, String method, String path, List<String> headers, Body body)
            throws IOException {
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(prefix).append(path)
                .append(" HTTP/1.1\r\nHost: ").append(hostHeader).append("\r\n");
        for (int i = 0; i + 1 < headers.size(); i += 2) {
            head.append(headers.get(i)).append(": ").append(headers.get(i + 1)).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length()).append("\r\n");
        }
        head.append("\r\n");
        OutputStream out = c.out;
        out.write(head.toString().getBytes(StandardCharsets.UTF_8));
        if (body instanceof Bytes b) {
            out.write(b.bytes());
        } else if (body instanceof FileBody f) {
            try (InputStream in = Files.newInputStream(f.file())) {
                if (in.transferTo(out) != f.length()) {
                    throw new CliException(f.file() + " changed size while it was being uploaded");
                }
            }
        }
        out.flush();
    }

    private Response readResponse(Connection c) throws IOException {
        while (true) {
            String status = line(c.in);
            if (status.isEmpty()) {
                throw new EOFException("the connection closed before an answer");
            }
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.1 answer: " + status);
            }
            int code;
            try {
                code = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IOException("not an HTTP status: " + status);
            }
            long length = -1;
            boolean chunked = false;
            boolean close = parts[0].equals("HTTP/1.0");
            for (String h = line(c.in); !h.isEmpty(); h = line(c.in)) {
                int colon = h.indexOf(':');
                if (colon <= 0) {
                    continue;
                }
                String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = h.substring(colon + 1).trim().toLowerCase(Locale.ROOT);
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" -> chunked = value.endsWith("chunked");
                    case "connection" -> close |= value.contains("close");
                    default -> { }
                }
            }
            if (code >= 100 && code < 200) {
                continue; // an interim answer (RFC 9110 section 15.2): the real one follows
            }
            if (code == 204 || code == 304) {
                length = 0;
            }
            InputStream body = chunked ? new Chunked(c.in) : length >= 0 ? new Limited(c.in, length) : c.in;
            boolean reusable = !close && (chunked || length >= 0);
            return new Response(code, new Releasing(body, c, reusable));
        }
    }

    /** One CRLF-terminated line of a response head, in ISO-8859-1 (RFC 9112 section 2.2); "" at the end of input. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int b = in.read(); b != -1; b = in.read()) {
            if (b == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    private final class Connection {
        final Socket socket;
        final InputStream in;
        final OutputStream out;
        long idleSince;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing a connection we give up on: nothing is left to do with it
            }
        }
    }

    /** Hands the connection back to the pool once its body has been read to the end, closes it otherwise. */
    private final class Releasing extends java.io.FilterInputStream {
        private final Connection connection;
        private final boolean reusable;
        private boolean done;

        Releasing(InputStream body, Connection connection, boolean reusable) {
            super(body);
            this.connection = connection;
            this.reusable = reusable;
        }

        @Override
        public void close() throws IOException {
            if (done) {
                return;
            }
            done = true;
            if (reusable && in.read() == -1) {
                connection.idleSince = System.nanoTime();
                idle.addFirst(connection);
            } else {
                connection.close();
            }
        }
    }

    /** A body read from the connection's stream, up to where it ends; single bytes by the array read. */
    private abstract static class BodyStream extends InputStream {
        final InputStream in;
        long left;

        BodyStream(InputStream in, long left) {
            this.in = in;
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }
    }

    /** A body of a known length. */
    private static final class Limited extends BodyStream {
        Limited(InputStream in, long length) {
            super(in, length);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n == -1) {
                throw new EOFException("the answer ended " + left + " bytes short");
            }
            left -= n;
            return n;
        }
    }

    /** A chunked body (RFC 9112 section 7.1), trailers skipped. */
    private static final class Chunked extends BodyStream {
        private boolean end;

        Chunked(InputStream in) {
            super(in, 0);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (end) {
                return -1;
            }
            if (left == 0) {
                String size = line(in);
                int semi = size.indexOf(';');
                try {
                    left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                } catch (NumberFormatException e) {
                    throw new IOException("a bad chunk size in the answer: " + size);
                }
                if (left == 0) {
                    while (!line(in).isEmpty()) {
                        // trailer fields: nothing here uses them
                    }
                    end = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n == -1) {
                throw new EOFException("the answer broke off inside a chunk");
            }
            left -= n;
            if (left == 0) {
                line(in); // the CRLF after the chunk's data
            }
            return n;
        }
    }

    /** Reads a whole body and hands the connection back. */
    static byte[] readAll(Response response) throws IOException {
        try (InputStream in = response.body()) {
            return in.readAllBytes();
        }
    }
}
