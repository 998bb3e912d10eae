package dev.skewgate.push;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** One open tab's event stream: its response, and the deployment the tab booted on. */
final class EventStream {

    /** Bytes a stream may have queued before it counts as not reading and is dropped. */
    static final int MAX_QUEUED_BYTES = 64 * 1024;

    final HttpServerResponse response;
    final String site;
    final String boot;

    EventStream(HttpServerResponse response, String site, String boot) {
        this.response = response;
        this.site = site;
        this.boot = boot;
    }

    /** Writes a frame, or drops the stream when its client has stopped reading; returns whether it was written. */
    boolean write(Buffer frame) {
        if (response.writeQueueFull()) {
            response.reset(); // a slow reader: close rather than let memory grow without bound
            return false;
        }
        response.write(frame);
        return true;
    }
}
