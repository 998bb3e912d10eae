package dev.skewgate.push;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/**
 * One event stream: where its frames go, and the open tabs it speaks for. A tab's SDK holds one stream for all the
 * tabs of its origin in its browser profile and reports their boot deployments ({@link PushHub#presence}); until it
 * does, the stream counts one tab on the deployment it named when it connected. Frames go to its Vert.x response
 * until the edge hands over the stream's channel ({@link SseEndpoint}), then straight to the channel as chunks.
 */
final class EventStream {

    /** Bytes a stream may have queued before it counts as not reading and is dropped. */
    static final int MAX_QUEUED_BYTES = 64 * 1024;

    /** The response until the channel is taken over, then null: the HTTP machinery is no longer kept. */
    HttpServerResponse response;
    /** The taken-over channel (HTTP/1.1), or null while the stream is a Vert.x response (HTTP/2, before hand-over). */
    Channel channel;
    final String site;
    final String boot;
    /** The id the client chose for this stream ({@code ?stream=}), empty for clients that report no presence. */
    final String id;
    /** Tabs per boot deployment; written under the stream's monitor, read by broadcasts on any thread. */
    volatile Map<String, Integer> tabs;
    volatile int tabCount = 1;
    boolean closed;
    /** The newest event this stream has been sent, or told it is past (its opening); written on its loop only. */
    long sentUpTo;

    EventStream(HttpServerResponse response, String site, String boot, String id) {
        this.response = response;
        this.site = site;
        this.boot = boot;
        this.id = id;
        this.tabs = Map.of(boot, 1);
    }

    /**
     * Writes a frame ({@code chunk} is the same frame as an HTTP/1.1 chunk, for a taken-over channel), or drops the
     * stream when its client has stopped reading; returns whether it was written. A dropped client reconnects with
     * {@code Last-Event-ID} and gets what it missed from the site's replay log.
     */
    boolean write(Buffer frame, ByteBuf chunk) {
        Channel ch = channel;
        if (ch != null) {
            if (!ch.isWritable()) { // over the channel's high-water mark (64 KiB): close rather than queue without bound
                ch.close();
                return false;
            }
            ch.writeAndFlush(chunk.retainedDuplicate(), ch.voidPromise());
            return true;
        }
        if (response.writeQueueFull()) {
            response.reset(); // a slow reader: close rather than let memory grow without bound
            return false;
        }
        response.write(frame);
        return true;
    }

    /** Ends the stream (shutdown): clients reconnect after their retry delay. */
    void end() {
        Channel ch = channel;
        if (ch != null) {
            ch.writeAndFlush(SseFrames.lastChunk()).addListener(ChannelFutureListener.CLOSE);
        } else {
            response.end();
        }
    }
}
