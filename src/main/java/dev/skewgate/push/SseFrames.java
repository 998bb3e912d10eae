package dev.skewgate.push;

import io.vertx.core.buffer.Buffer;

/** Server-Sent Events framing (WHATWG HTML §9.2): one frame is encoded once and written to every stream. */
final class SseFrames {

    /** A comment line: keeps idle streams (and the proxies between) from timing out. */
    static final Buffer HEARTBEAT = Buffer.buffer(":\n\n");

    private SseFrames() {
    }

    /** The opening of a stream: how long to wait before reconnecting. */
    static Buffer retry(long millis) {
        return Buffer.buffer("retry: " + millis + "\n\n");
    }

    /** One event; {@code data} must be a single line (compact JSON is). */
    static Buffer event(long id, String type, String data) {
        return Buffer.buffer("id: " + id + "\nevent: " + type + "\ndata: " + data + "\n\n");
    }
}
