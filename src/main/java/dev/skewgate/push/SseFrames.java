package dev.skewgate.push;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Server-Sent Events framing (WHATWG HTML §9.2): one frame is encoded once and written to every stream. */
final class SseFrames {

    /** A comment line: keeps idle streams (and the proxies between) from timing out. */
    static final Buffer HEARTBEAT = Buffer.buffer(":\n\n");

    /** The last chunk of a chunked body (RFC 9112 §7.1): the stream ends cleanly. */
    private static final ByteBuf LAST_CHUNK = Unpooled.unreleasableBuffer(
            Unpooled.directBuffer(5).writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).asReadOnly());

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

    /**
     * The frame as one HTTP/1.1 chunk ({@code <hex size>\r\n<frame>\r\n}), in a direct buffer that the caller owns:
     * a taken-over stream's channel gets a duplicate of it, so the bytes are encoded and copied once per event loop.
     */
    static ByteBuf chunk(Buffer frame) {
        byte[] bytes = frame.getBytes();
        String size = Integer.toHexString(bytes.length) + "\r\n";
        ByteBuf chunk = PooledByteBufAllocator.DEFAULT.directBuffer(size.length() + bytes.length + 2);
        chunk.writeCharSequence(size, StandardCharsets.US_ASCII);
        chunk.writeBytes(bytes);
        chunk.writeByte('\r').writeByte('\n');
        return chunk;
    }

    /** The last chunk, for a taken-over stream that ends. */
    static ByteBuf lastChunk() {
        return LAST_CHUNK.duplicate();
    }
}
