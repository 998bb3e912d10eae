package dev.skewgate.push;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.routing.SiteRoute;
import io.netty.channel.Channel;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /_skewgate/events?deployment=<boot id>&stream=<client id>}: a site's Server-Sent Events stream, held by
 * one tab for all the tabs of its origin (which it reports by {@code stream} id, see {@link PresenceEndpoint}). Opens
 * with {@code retry:}
 * and either the events a reconnecting client missed (by {@code Last-Event-ID}) or a fresh {@code hello}; then
 * {@code deployment}, {@code config} and {@code retired} events as they happen, and heartbeat comments.
 */
public final class SseEndpoint {

    static final long RETRY_MS = 3_000;
    static final long HEARTBEAT_MS = 25_000;
    static final String UNKNOWN_BOOT = "unknown";

    private final PushHub hub;
    private final LoopHub loop;

    /** Serves streams on the calling event loop and starts that loop's heartbeat. */
    public SseEndpoint(PushHub hub, io.vertx.core.Context context) {
        this.hub = hub;
        this.loop = hub.register(context);
        context.owner().setPeriodic(HEARTBEAT_MS, id -> loop.heartbeat());
    }

    /**
     * Opens a stream; once its head and opening are written, {@code takeOver} is asked for the stream's channel (the
     * edge gives it for an HTTP/1.1 GET, stripped down to its transport), and from then on the stream is that channel.
     */
    public void handle(HttpServerRequest request, SiteRoute site, Supplier<Optional<Channel>> takeOver) {
        String boot = request.getParam("deployment");
        if (boot != null && !DeploymentIds.isWellFormed(boot)) {
            DataPlaneErrors.json(request, 400, "INVALID_DEPLOYMENT", "'deployment' must be the id the page booted on (dpl_...)");
            return;
        }
        String streamId = request.getParam("stream", "");
        if (!streamId.isEmpty() && !PresenceEndpoint.isStreamId(streamId)) {
            DataPlaneErrors.json(request, 400, "INVALID_STREAM_ID", "'stream' must be 8-64 letters, digits, '-' or '_'");
            return;
        }
        hub.cover(site.name(), site.lastEventSeq());
        PushHub.Replay replay = hub.replay(site.name()).orElseThrow();
        long newest = Math.max(replay.newest(), site.lastEventSeq());
        String lastEventId = request.getHeader("Last-Event-ID");
        long lastSeen = -1;
        if (lastEventId != null && !lastEventId.isBlank()) {
            try {
                lastSeen = Long.parseLong(lastEventId.trim());
            } catch (NumberFormatException e) {
                lastSeen = -2;
            }
            if (lastSeen < 0) {
                DataPlaneErrors.json(request, 400, "INVALID_LAST_EVENT_ID", "Last-Event-ID must be an event number from this stream");
                return;
            }
            if (lastSeen > newest) {
                DataPlaneErrors.json(request, 400, "INVALID_LAST_EVENT_ID", "Last-Event-ID " + lastSeen
                        + " is ahead of this site's newest event " + newest + "; reconnect without it");
                return;
            }
        }
        HttpServerResponse response = request.response();
        // Registered before the first byte goes out: the client may report presence as soon as the stream opens.
        String bootKey = boot != null && PresenceEndpoint.exists(site, boot) ? boot : UNKNOWN_BOOT;
        EventStream stream = new EventStream(response, site.name(), bootKey, streamId);
        loop.add(stream);
        hub.opened(stream);
        boolean[] closed = {false};
        Runnable gone = () -> {
            if (!closed[0]) {
                closed[0] = true;
                loop.remove(stream);
                hub.closed(stream);
            }
        };
        response.closeHandler(v -> gone.run());
        response.exceptionHandler(e -> gone.run());
        response.bodyEndHandler(v -> gone.run()); // not endHandler: the edge's request accounting owns that one
        response.setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-store")
                .putHeader("x-accel-buffering", "no")
                .setWriteQueueMaxSize(EventStream.MAX_QUEUED_BYTES);
        Future<Void> opened = response.write(SseFrames.retry(RETRY_MS));
        if (lastSeen >= 0 && lastSeen >= replay.coveredFrom()) {
            for (var notice : replay.notices()) {
                if (notice.seq() > lastSeen) {
                    opened = response.write(SseFrames.event(notice.seq(), notice.type(), notice.data()));
                }
            }
        } else {
            JsonObject hello = new JsonObject()
                    .put("site", site.name())
                    .put("deployment", site.active().map(d -> d.id()).orElse(null))
                    .put("activatedAt", site.activatedAt().map(Object::toString).orElse(null))
                    .put("configRevision", site.configRevision())
                    .put("boot", boot)
                    .put("bootRetired", boot != null && site.retired().contains(boot));
            opened = response.write(SseFrames.event(newest, "hello", hello.encode()));
        }
        // A stream lives for hours: drop what is no longer needed (measured: ~2.6 KB per open tab).
        request.headers().clear();
        request.params().clear();
        response.headers().clear();
        // Once the opening is on the wire, nothing of the HTTP connection is needed any more (measured: ~9 KB per
        // open tab as a Vert.x response). A task of its own, not inside Vert.x's flush that completed the write.
        opened.onSuccess(v -> loop.context().runOnContext(x -> {
            if (closed[0]) {
                return;
            }
            takeOver.get().ifPresent(channel -> {
                stream.channel = channel;
                stream.response = null;
                hub.handedOver(stream);
                channel.closeFuture().addListener(f -> gone.run()); // runs on this loop, at once if already closed
            });
        }));
    }

}
