package dev.skewgate.push;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.model.DeploymentIds;
import dev.skewgate.routing.SiteRoute;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code POST /_skewgate/presence}: the tab that holds a browser profile's event stream reports the boot deployments
 * of all the tabs it speaks for, {@code {"stream":"<id>","tabs":{"dpl_...":3}}}, so open tabs are counted exactly
 * with one stream per profile. Answers {@code {"retired":[...]}}: the reported deployments that are retired, so tabs
 * that missed the {@code retired} event (a handover, a frozen tab) still learn it.
 */
public final class PresenceEndpoint {

    public static final String PATH = "/_skewgate/presence";
    static final int MAX_BODY = 4 * 1024;
    private static final Pattern STREAM_ID = Pattern.compile("[A-Za-z0-9_-]{8,64}");

    private final PushHub hub;

    public PresenceEndpoint(PushHub hub) {
        this.hub = hub;
    }

    static boolean isStreamId(String value) {
        return STREAM_ID.matcher(value).matches();
    }

    /**
     * Whether a deployment of the site exists (servable, compiled or not yet, or retired and still known), so only
     * those are counted.
     */
    static boolean exists(SiteRoute site, String id) {
        return site.servable().containsKey(id) || site.pending(id) || site.retired().contains(id);
    }

    public void handle(HttpServerRequest request, SiteRoute site) {
        Buffer body = Buffer.buffer();
        boolean[] over = {false};
        request.handler(chunk -> {
            if (!over[0] && body.length() + chunk.length() > MAX_BODY) {
                over[0] = true;
                request.response().putHeader("connection", "close");
                DataPlaneErrors.json(request, 413, "BODY_TOO_LARGE", "a presence report is limited to " + MAX_BODY + " bytes");
            } else if (!over[0]) {
                body.appendBuffer(chunk);
            }
        });
        request.endHandler(v -> {
            if (!over[0]) {
                report(request, site, body);
            }
        });
        request.resume();
    }

    private void report(HttpServerRequest request, SiteRoute site, Buffer body) {
        JsonObject report;
        try {
            report = Json.decodeValue(body) instanceof JsonObject o ? o : null;
        } catch (DecodeException e) {
            report = null;
        }
        Object id = report == null ? null : report.getValue("stream");
        Object tabs = report == null ? null : report.getValue("tabs");
        if (!(id instanceof String streamId) || !isStreamId(streamId) || !(tabs instanceof JsonObject reported)) {
            DataPlaneErrors.json(request, 400, "INVALID_PRESENCE", "the body must look like {\"stream\":\"<id from "
                    + "the event stream URL>\",\"tabs\":{\"dpl_...\":2}}");
            return;
        }
        Map<String, Integer> counted = new HashMap<>();
        JsonArray retired = new JsonArray();
        for (Map.Entry<String, Object> e : reported) {
            if (counted.size() == PushHub.MAX_PRESENCE_ENTRIES) {
                break;
            }
            // Unknown or malformed ids are left out: client input must not grow the counts without bound.
            if (DeploymentIds.isWellFormed(e.getKey()) && exists(site, e.getKey()) && e.getValue() instanceof Number n
                    && n.intValue() > 0) {
                counted.put(e.getKey(), Math.min(n.intValue(), PushHub.MAX_TABS_PER_ENTRY));
                if (site.retired().contains(e.getKey())) {
                    retired.add(e.getKey());
                }
            }
        }
        if (!hub.presence(site.name(), streamId, counted)) {
            DataPlaneErrors.json(request, 404, "STREAM_NOT_FOUND", "no open event stream of site '" + site.name()
                    + "' has this id; open /_skewgate/events?stream=<id> first");
            return;
        }
        request.response().putHeader("content-type", "application/json").putHeader("cache-control", "no-store")
                .end(new JsonObject().put("retired", retired).encode());
    }
}
