package dev.skewgate.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A Server-Sent Events client over a raw socket, for tests: collects events and answers with a deadline. */
public final class SseClient implements AutoCloseable {

    /** One received event. */
    public record Event(String id, String type, String data) {
    }

    private final Socket socket;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final int status;
    private final String head;
    private final Thread reader;

    private SseClient(Socket socket, int status, String head, BufferedReader in) {
        this.socket = socket;
        this.status = status;
        this.head = head;
        this.reader = new Thread(() -> read(in), "sse-test-reader");
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /** Opens {@code path} on the edge with the given Host and extra header lines ("Name: value"). */
    public static SseClient open(int port, String host, String path, String... headerLines) throws IOException {
        return open(java.time.Duration.ofSeconds(15), port, host, path, headerLines);
    }

    /**
     * The same, with a longer wait for each read: a stream that must stay open through quiet stretches (the
     * gateway's heartbeat comments come every 25 s, longer than the default waits).
     */
    public static SseClient open(java.time.Duration readTimeout, int port, String host, String path,
                                 String... headerLines) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout((int) readTimeout.toMillis());
        StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n");
        for (String h : headerLines) {
            request.append(h).append("\r\n");
        }
        request.append("\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String statusLine = in.readLine();
        StringBuilder head = new StringBuilder(statusLine).append('\n');
        String line;
        while ((line = in.readLine()) != null && !line.isEmpty()) {
            head.append(line).append('\n');
        }
        int status = Integer.parseInt(statusLine.split(" ")[1]);
        return new SseClient(socket, status, head.toString(), in);
    }

    private void read(BufferedReader in) {
        try {
            String id = null;
            String type = "message";
            StringBuilder data = new StringBuilder();
            String line;
            while ((line = in.readLine()) != null) {
                // chunked transfer: size lines are hex digits alone; SSE lines never are
                if (line.equals("0")) {
                    break; // the last chunk: the response has ended (a proxy may keep the connection open)
                }
                if (line.matches("[0-9a-fA-F]+")) {
                    continue;
                }
                if (line.isEmpty()) {
                    if (data.length() > 0) {
                        events.add(new Event(id, type, data.toString()));
                    }
                    id = null;
                    type = "message";
                    data.setLength(0);
                } else if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    type = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
        } catch (IOException e) {
            // closed
        }
        ended = true;
    }

    /** Whether the stream has ended (closed by either side, or a read timed out). */
    public boolean ended() {
        return ended;
    }

    private volatile boolean ended;

    public int status() {
        return status;
    }

    public String head() {
        return head;
    }

    /** The next event, waiting up to the timeout; fails the test when none arrives. */
    public Event next(Duration timeout) throws InterruptedException {
        Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new AssertionError("no event within " + timeout);
        }
        return e;
    }

    /** The next event of the given type, skipping others. */
    public Event next(String type, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            Event e = events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError("no '" + type + "' event within " + timeout);
            }
            if (e.type().equals(type)) {
                return e;
            }
        }
    }

    public List<Event> drain() {
        List<Event> out = new ArrayList<>();
        events.drainTo(out);
        return out;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
