package dev.skewgate.push;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.routing.Routes;
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
    /**
     * How long a stream whose {@code Last-Event-ID} this node has not reached yet waits for it, when other nodes number
     * the site's events too: a tab that saw an event on a node a few milliseconds ahead of this one (the change reaches
     * every node within tens of milliseconds, bench/multi-node.sh) resumes here instead of being refused.
     */
    static final long CATCH_UP_WAIT_MS = 3_000;
    private static final long CATCH_UP_POLL_MS = 20;

    private final PushHub hub;
    private final Routes routes;
    private final LoopHub loop;

    /** Serves streams on the calling event loop and starts that loop's heartbeat. */
    public SseEndpoint(PushHub hub, Routes routes, io.vertx.core.Context context) {
        this.hub = hub;
        this.routes = routes;
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
                if (hub.peers()) {
                    awaitCatchUp(request, site.name(), lastSeen, takeOver, System.nanoTime() + CATCH_UP_WAIT_MS * 1_000_000);
                } else {
                    DataPlaneErrors.json(request, 400, "INVALID_LAST_EVENT_ID", "Last-Event-ID " + lastSeen
                            + " is ahead of this site's newest event " + newest + "; reconnect without it");
                }
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
            stream.sentUpTo = lastSeen;
            for (var notice : replay.notices()) {
                if (notice.seq() > lastSeen) {
                    opened = response.write(SseFrames.event(notice.seq(), notice.type(), notice.data()));
                    stream.sentUpTo = notice.seq();
                }
            }
        } else {
            stream.sentUpTo = newest;
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

    /**
     * Looks again every {@value #CATCH_UP_POLL_MS} ms, on this loop, until this node has caught up with event
     * {@code lastSeen} of the site (then the stream opens as usual, on the snapshot that has it) or {@code deadline}
     * passes: then 503 with {@code Retry-After}, as this node may be cut off from the others (or the number was
     * never given); the SDK's next stream starts without it and gets a fresh hello.
     */
    private void awaitCatchUp(HttpServerRequest request, String siteName, long lastSeen,
                              Supplier<Optional<Channel>> takeOver, long deadline) {
        loop.context().owner().setTimer(CATCH_UP_POLL_MS, id -> {
            if (request.response().closed()) {
                return;
            }
            SiteRoute now = routes.current().sites().get(siteName);
            // The push hub's newest, not the snapshot's: the snapshot is swapped in before its tabs are told, and a
            // stream opened in between would be sent event lastSeen again. A catch-up ends by handing the hub every
            // event it read, told or not.
            long told = hub.replay(siteName).map(PushHub.Replay::newest).orElse(-1L);
            if (now != null && told >= lastSeen) {
                handle(request, now, takeOver);
            } else if (now == null || System.nanoTime() - deadline >= 0) {
                request.response().putHeader("retry-after", "1");
                DataPlaneErrors.json(request, 503, "EVENTS_NOT_HERE_YET", "this node has not seen event " + lastSeen
                        + " of this site yet; retry, or reconnect without Last-Event-ID for the current state");
            } else {
                awaitCatchUp(request, siteName, lastSeen, takeOver, deadline);
            }
        });
    }

}
