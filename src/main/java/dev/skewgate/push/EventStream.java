package dev.skewgate.push;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/**
 * One event stream: its response, and the open tabs it speaks for. A tab's SDK holds one stream for all the tabs of
 * its origin in its browser profile and reports their boot deployments ({@link PushHub#presence}); until it does, the
 * stream counts one tab on the deployment it named when it connected.
 */
final class EventStream {

    /** Bytes a stream may have queued before it counts as not reading and is dropped. */
    static final int MAX_QUEUED_BYTES = 64 * 1024;

    final HttpServerResponse response;
    final String site;
    final String boot;
    /** The id the client chose for this stream ({@code ?stream=}), empty for clients that report no presence. */
    final String id;
    /** Tabs per boot deployment; written under the stream's monitor, read by broadcasts on any thread. */
    volatile Map<String, Integer> tabs;
    volatile int tabCount = 1;
    boolean closed;

    EventStream(HttpServerResponse response, String site, String boot, String id) {
        this.response = response;
        this.site = site;
        this.boot = boot;
        this.id = id;
        this.tabs = Map.of(boot, 1);
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
