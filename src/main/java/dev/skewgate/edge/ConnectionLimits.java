package dev.skewgate.edge;

import dev.skewgate.config.EdgeLimits;
import dev.skewgate.http.Headers;
import dev.skewgate.proxy.TrustedProxies;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's connection budget, shared by every event loop: a global cap, a cap per client address and a cap on
 * event streams (over a cap: one {@code 503} and the connection closed, logged at most once a minute), and per
 * connection a header-read timeout and a minimum request-body rate, so slow clients cannot hold sockets for free.
 */
public final class ConnectionLimits {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);
    static final String EVENTS_PATH = "/_skewgate/events";

    private final EdgeLimits limits;
    private final TrustedProxies trusted;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final Map<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private final AtomicLong lastLogged = new AtomicLong();
    private final AtomicLong refusedSinceLog = new AtomicLong();

    public ConnectionLimits(EdgeLimits limits, TrustedProxies trusted) {
        this.limits = limits;
        this.trusted = trusted;
    }

    /** Connections open now (for tests and the soak). */
    public int connections() {
        return connections.get();
    }

    /** Event streams open now. */
    public int streams() {
        return streams.get();
    }

    /** Addresses with a per-client count: only addresses with an open connection, so the map is bounded by the cap. */
    int trackedClients() {
        return perClient.size();
    }

    /** The state of one event loop's connections; only that loop's thread touches it. */
    final class Loop {
        private final Vertx vertx;
        private final Map<HttpConnection, Conn> open = new IdentityHashMap<>();

        Loop(Vertx vertx) {
            this.vertx = vertx;
            if (limits.minBodyRate() > 0) {
                vertx.setPeriodic(EdgeLimits.BODY_RATE_WINDOW.toMillis(), id -> checkBodyRates());
            }
            // One sweep a second instead of a timer armed and cancelled per request: a timer per keep-alive request
            // cost ~15% of small-file req/s (bench/static-vs-nginx.sh); a connection now waits at most a second
            // longer than the header timeout.
            long every = Math.max(100, Math.min(1000, limits.headerTimeout().toMillis() / 4));
            vertx.setPeriodic(every, id -> closeIdleHeads());
        }

        /** Closes connections that have waited longer than the header timeout for a whole request head. */
        private void closeIdleHeads() {
            long now = System.nanoTime();
            long timeout = limits.headerTimeout().toNanos();
            for (Conn conn : open.values().toArray(new Conn[0])) {
                if (conn.waitingSince >= 0 && conn.inFlight == 0 && now - conn.waitingSince > timeout) {
                    conn.waitingSince = -1;
                    LOG.debug("closing connection of {}: no whole request head within {}", conn.client,
                            limits.headerTimeout());
                    conn.connection.close();
                }
            }
        }

        /** A new connection: counted (or marked to be refused at its first request) and its header timer started. */
        void connected(HttpConnection connection) {
            String client = connection.remoteAddress() == null ? "unknown" : connection.remoteAddress().hostAddress();
            boolean exempt = trusted.contains(client);
            Conn conn = new Conn(connection, client, exempt);
            int total = connections.incrementAndGet();
            int mine = exempt ? 0 : perClient.computeIfAbsent(client, k -> new AtomicInteger()).incrementAndGet();
            if (total > limits.maxConnections()) {
                conn.refusal = "the gateway has " + limits.maxConnections() + " connections open, its limit";
            } else if (!exempt && mine > limits.maxConnectionsPerClient()) {
                conn.refusal = "client " + client + " has " + limits.maxConnectionsPerClient()
                        + " connections open, the limit per client address";
            }
            open.put(connection, conn);
            // The channel's close future, not connection.closeHandler: that is one slot, and the proxy takes it for
            // its own use (a body still being sent when the client goes); a replaced handler leaked this count until
            // every client was refused (bench/proxy-vs-nginx.sh found it). Its listeners run on this loop's thread.
            if (connection instanceof ConnectionBase base) {
                base.channel().closeFuture().addListener(f -> closed(conn));
            } else {
                connection.closeHandler(v -> closed(conn));
            }
            conn.armHeaderTimer();
        }

        private void closed(Conn conn) {
            if (conn.gone) {
                return;
            }
            conn.gone = true;
            if (conn.connection != null) {
                open.remove(conn.connection);
            }
            conn.cancelHeaderTimer();
            connections.decrementAndGet();
            if (!conn.exempt) {
                perClient.computeIfPresent(conn.client, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
            }
            conn.releaseStream();
        }

        /**
         * The connection became a bare event-stream channel ({@link StreamHandOver}): it leaves the header and body
         * checks (it reads no more requests) and is no longer referenced, but counts until its channel closes.
         */
        void handedOver(HttpConnection connection) {
            Conn conn = open.remove(connection);
            if (conn != null) {
                conn.connection = null;
                conn.body = null;
                conn.cancelHeaderTimer();
            }
        }

        /** Lets the request through, or answers it 503 when its connection or the event streams are over a cap. */
        boolean admit(HttpServerRequest request) {
            Conn conn = open.get(request.connection());
            if (conn == null) {
                return true;
            }
            conn.cancelHeaderTimer();
            if (conn.refusal != null) {
                refuse(request, conn.refusal);
                return false;
            }
            boolean stream = request.path().equals(EVENTS_PATH);
            if (stream) {
                if (streams.incrementAndGet() > limits.maxEventStreams()) {
                    streams.decrementAndGet();
                    refuse(request, "the gateway has " + limits.maxEventStreams() + " event streams open, its limit");
                    return false;
                }
                conn.stream = true;
            }
            conn.inFlight++;
            boolean hasBody = request.headers().contains(Headers.TRANSFER_ENCODING)
                    || request.headers().contains(Headers.CONTENT_LENGTH) && !"0".equals(request.getHeader(Headers.CONTENT_LENGTH).trim());
            conn.body = hasBody && !request.isEnded() ? request : null;
            conn.bodyBytes = 0;
            conn.bodyChecked = false;
            boolean upgrade = request.headers().contains(Headers.UPGRADE);
            HttpServerResponse response = request.response();
            boolean[] done = {false};
            Handler<Void> finished = v -> {
                if (done[0]) {
                    return;
                }
                done[0] = true;
                conn.inFlight--;
                if (conn.body == request) {
                    conn.body = null;
                }
                if (stream) {
                    conn.releaseStream();
                }
                if (!upgrade && conn.inFlight == 0 && open.containsKey(conn.connection)) {
                    conn.armHeaderTimer(); // waiting for the next request head on a kept-alive connection
                }
            };
            response.bodyEndHandler(finished); // not endHandler: the event stream sets its own
            return true;
        }

        private void refuse(HttpServerRequest request, String why) {
            long n = refusedSinceLog.incrementAndGet();
            long now = System.currentTimeMillis();
            long last = lastLogged.get();
            if (now - last >= 60_000 && lastLogged.compareAndSet(last, now)) {
                refusedSinceLog.addAndGet(-n);
                LOG.warn("refused {} connection(s) with 503 in the last minute: {} (raise --max-connections, "
                        + "--max-connections-per-client or --max-event-streams, and LimitNOFILE with them)", n, why);
            }
            request.resume();
            request.response().setStatusCode(503)
                    .putHeader("content-type", "application/json")
                    .putHeader("cache-control", "no-store")
                    .putHeader("retry-after", "5")
                    .putHeader("connection", "close")
                    .end("{\"error\":\"TOO_MANY_CONNECTIONS\",\"message\":\"" + why + "; retry later\"}\n")
                    .onComplete(ar -> request.connection().close());
        }

        /** Closes connections whose request body arrived slower than the minimum rate over the last window. */
        private void checkBodyRates() {
            long window = EdgeLimits.BODY_RATE_WINDOW.toSeconds();
            for (Conn conn : open.values().toArray(new Conn[0])) {
                HttpServerRequest request = conn.body;
                if (request == null) {
                    continue;
                }
                if (request.isEnded()) {
                    conn.body = null;
                    continue;
                }
                long read = request.bytesRead();
                if (conn.bodyChecked && read - conn.bodyBytes < limits.minBodyRate() * window) {
                    LOG.debug("closing connection of {}: request body under {} B/s for {} s", conn.client,
                            limits.minBodyRate(), window);
                    conn.body = null;
                    HttpServerResponse response = request.response();
                    if (!response.headWritten()) {
                        response.setStatusCode(408).putHeader("content-type", "application/json")
                                .putHeader("connection", "close")
                                .end("{\"error\":\"BODY_TOO_SLOW\",\"message\":\"the request body arrived slower than "
                                        + limits.minBodyRate() + " bytes per second\"}\n")
                                .onComplete(ar -> conn.connection.close());
                    } else {
                        conn.connection.close();
                    }
                    continue;
                }
                conn.bodyChecked = true; // the first window is a grace period: it may have started just now
                conn.bodyBytes = read;
            }
        }

        /** One connection's counters and the time it began to wait for a request head. */
        final class Conn {
            /** Null once the connection was handed over as an event stream's channel. */
            HttpConnection connection;
            final String client;
            final boolean exempt;
            String refusal;
            boolean stream;
            boolean gone;
            int inFlight;
            HttpServerRequest body;
            long bodyBytes;
            boolean bodyChecked;
            /** When it began to wait for a request head (System.nanoTime), or -1 while a request is in flight. */
            long waitingSince = -1;

            Conn(HttpConnection connection, String client, boolean exempt) {
                this.connection = connection;
                this.client = client;
                this.exempt = exempt;
            }

            void armHeaderTimer() {
                waitingSince = System.nanoTime();
            }

            void cancelHeaderTimer() {
                waitingSince = -1;
            }

            void releaseStream() {
                if (stream) {
                    stream = false;
                    streams.decrementAndGet();
                }
            }
        }
    }
}
