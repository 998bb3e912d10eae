package dev.skewgate.dashboard;

import dev.skewgate.control.ControlPlane;
import dev.skewgate.control.Running;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.Site;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/stream}: a server-sent stream of every site's counts (live deployment, and per deployment its
 * state, open tabs, WebSockets, requests in the last minute), one compact JSON {@code counts} event a second. One
 * timer reads them once for every subscriber, and only while someone subscribes.
 */
final class LiveCounts {

    private static final Logger LOG = LoggerFactory.getLogger(LiveCounts.class);
    static final long PERIOD_MS = 1000;

    private final Vertx vertx;
    private final ControlPlane control;
    private final Set<HttpServerResponse> subscribers = ConcurrentHashMap.newKeySet();
    private long timer = -1;

    LiveCounts(Vertx vertx, ControlPlane control) {
        this.vertx = vertx;
        this.control = control;
    }

    void subscribe(RoutingContext ctx) {
        HttpServerResponse response = ctx.response();
        response.setChunked(true).setStatusCode(200)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-store")
                .putHeader("x-accel-buffering", "no");
        response.write("retry: 2000\n\n");
        subscribers.add(response);
        response.closeHandler(v -> subscribers.remove(response));
        ctx.request().connection().closeHandler(v -> subscribers.remove(response));
        synchronized (this) {
            if (timer < 0) {
                timer = vertx.setPeriodic(0, PERIOD_MS, id -> tick());
            }
        }
    }

    private void tick() {
        synchronized (this) {
            if (subscribers.isEmpty()) {
                vertx.cancelTimer(timer);
                timer = -1;
                return;
            }
        }
        vertx.executeBlocking(this::counts, false).onSuccess(counts -> {
            String event = "event: counts\ndata: " + counts.encode() + "\n\n";
            for (HttpServerResponse r : subscribers) {
                if (r.closed() || r.ended()) {
                    subscribers.remove(r);
                } else if (!r.writeQueueFull()) { // a stalled reader skips a second rather than buffer without bound
                    r.write(event);
                }
            }
        }).onFailure(e -> LOG.warn("dashboard counts could not be read: {}", e.toString()));
    }

    JsonObject counts() {
        JsonObject sites = new JsonObject();
        for (Site site : control.sites().list()) {
            Map<String, Integer> open = control.running().openTabs(site.name());
            JsonObject deployments = new JsonObject();
            for (Deployment d : control.sites().deployments(site.name())) {
                if (d.state() == DeploymentState.PURGED) {
                    continue;
                }
                Running.Activity a = control.running().activity(d.id());
                JsonObject row = new JsonObject().put("state", d.state().wire())
                        .put("openTabs", open.getOrDefault(d.id(), 0)).put("webSockets", a.webSockets())
                        .put("requestsLastMinute", a.requestsLastMinute());
                if (d.state() == DeploymentState.RETIRED) {
                    row.put("requestsAfterRetirementLast5Minutes", a.requestsAfterRetirementLast5Minutes());
                }
                deployments.put(d.id(), row);
            }
            sites.put(site.name(), new JsonObject().put("live", site.activeDeployment().orElse(null))
                    .put("deployments", deployments));
        }
        return new JsonObject().put("at", System.currentTimeMillis()).put("sites", sites);
    }
}
