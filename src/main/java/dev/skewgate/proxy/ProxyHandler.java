package dev.skewgate.proxy;

import dev.skewgate.compress.StreamingEncoder;
import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.http.Headers;
import dev.skewgate.routing.BackendRoute;
import dev.skewgate.routing.DeploymentRoute;
import dev.skewgate.routing.InstancePool;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.HostAndPort;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reverse proxy from the edge to the pinned deployment's backend: streaming both ways with backpressure, a
 * keep-alive pool per event loop, round robin with passive ejection, bounded waits (502 when a backend cannot be
 * reached, 504 when it does not answer), WebSocket tunnels only for a valid WebSocket upgrade that the backend
 * accepts with 101.
 *
 * <p>Ordinary requests go through {@link UpstreamPool}, Netty-level connections per event loop (the hot path; why in
 * its comment). WebSocket upgrades go through Vert.x's HTTP client, whose upgraded connection becomes the tunnel's
 * {@code NetSocket}. Not vertx-http-proxy 5.0.10 (a Tech Preview): that module relays WebSocket tunnels without
 * backpressure, does not remove the headers named in {@code Connection}, and sets no forwarding headers, which are
 * exactly the parts a gateway has to get right.
 */
public final class ProxyHandler {

    /** Request header used by the gateway's own synthetic checks; never forwarded. */
    public static final String CHECK_HEADER = "x-skewgate-check";
    private static final Set<String> NOT_FORWARDED = Set.of(CHECK_HEADER, "host");
    private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);
    /** Attempts of one request to a managed backend whose instance refused the connection (it crashed or restarts). */
    private static final int MANAGED_ATTEMPTS = 4;
    private static final long RESTART_NOTICE_MS = 150;

    private final Vertx vertx;
    /** WebSocket upgrades only. */
    private final HttpClient client;
    private final UpstreamPool pool;
    private final UpstreamHealth health;
    private final WebSocketTunnels tunnels;
    private final TrustedProxies trusted;
    private final long connectTimeoutMs;
    private final long idleTimeoutMs;

    /** One handler per event loop, with its own connection pool. */
    public ProxyHandler(Vertx vertx, UpstreamHealth health, WebSocketTunnels tunnels, TrustedProxies trusted,
                        Duration upstreamTimeout) {
        this.vertx = vertx;
        this.client = vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(true)
                        // Below the 5 s keep-alive of common backends (Node), so a pooled connection is not reused just
                        // as the backend closes it.
                        .setKeepAliveTimeout(4)
                        .setDecompressionSupported(false)
                        .setTcpNoDelay(true)
                        .setMaxInitialLineLength(8192)
                        .setMaxHeaderSize(32 * 1024),
                new PoolOptions().setHttp1MaxSize(256).setMaxWaitQueueSize(4096));
        this.health = health;
        this.tunnels = tunnels;
        this.trusted = trusted;
        this.connectTimeoutMs = 5_000;
        this.idleTimeoutMs = upstreamTimeout.toMillis();
        this.pool = new UpstreamPool(vertx, connectTimeoutMs, idleTimeoutMs);
    }

    /** Closes the idle backend connections of this loop. */
    public void close() {
        pool.close();
        client.close();
    }

    public void handle(HttpServerRequest request, DeploymentRoute deployment, BackendRoute backend) {
        handle(request, deployment, backend, false, nanos -> { });
    }

    /**
     * @param compress whether a response the backend left uncompressed is compressed for the client (the site's
     *     opt-in; see {@link ProxiedCompression})
     * @param upstreamTime told how long the backend took to send the response head, from the first attempt to connect
     *     (pool wait, retries and connection included, as nginx's {@code $upstream_header_time})
     */
    public void handle(HttpServerRequest request, DeploymentRoute deployment, BackendRoute backend, boolean compress,
                       java.util.function.LongConsumer upstreamTime) {
        request.pause();
        Exchange exchange = new Exchange(request, deployment, upstreamTime);
        exchange.compress = compress;
        // Registered before the upstream request exists: a body that breaks while it connects must still abort it.
        request.exceptionHandler(exchange::clientFailed);
        request.response().exceptionHandler(exchange::clientFailed);
        // Vert.x tells a request of its connection's close only while its response is in progress; a backend that
        // answered before reading the whole body must still see that body aborted.
        request.connection().closeHandler(v -> exchange.clientFailed(new HttpClosedException("client connection closed")));
        send(exchange, backend, request.canUpgradeToWebSocket(), null);
    }

    /** @param failed the upstream that refused this request's first attempt, or null on the first attempt */
    private void send(Exchange x, BackendRoute backend, boolean upgrade, BackendRoute.Upstream failed) {
        HttpServerRequest request = x.request;
        List<BackendRoute.Upstream> upstreams = backend.current();
        if (upstreams.isEmpty()) {
            waitForInstance(x, backend, upgrade, 0);
            return;
        }
        BackendRoute.Upstream upstream = health.pick(upstreams, failed);
        // Vert.x's header map is also a Netty HttpHeaders: the Netty path sends it as it is.
        MultiMap headers = HttpHeaders.headers();
        HopByHop.copy(request.headers(), headers, NOT_FORWARDED);
        ForwardedHeaders.set(request, headers, trusted);
        String originalHost = request.getHeader("host");
        if (originalHost != null) {
            headers.set("host", originalHost); // the Host the client used, exactly (not the upstream's address)
        }
        x.backend = backend;
        x.upstreamsNow = upstreams.size();
        if (upgrade) {
            headers.set("connection", "Upgrade");
            headers.set("upgrade", "websocket");
            upgrade(x, backend, upstream, headers);
            return;
        }
        pool.acquire(upstream, (connection, error) -> {
            if (error != null) {
                connectFailed(x, backend, false, upstream, error);
                return;
            }
            health.succeeded(upstream);
            backend.pool().ifPresent(p -> x.count(p, upstream));
            x.origin = upstream.origin();
            x.upstream = upstream;
            if (x.clientFailure != null) {
                // Only a new connection can be waited for (an idle one is handed over at once): close it rather than
                // keep a connection nobody asked for.
                connection.abort();
                return;
            }
            x.forward(connection, headers);
        });
    }

    /**
     * No connection could be made (nothing was sent): safe to retry, on another upstream when there is one. An instance
     * the gateway runs may have just crashed: with no other one, wait for it (or its restart) to be ready again.
     */
    private void connectFailed(Exchange x, BackendRoute backend, boolean upgrade, BackendRoute.Upstream upstream,
                               Throwable cause) {
        health.failed(upstream);
        boolean another = x.upstreamsNow > 1;
        boolean managed = backend.pool().isPresent();
        if (x.clientFailure == null && x.attempts < (managed ? MANAGED_ATTEMPTS : 1) && (another || managed)) {
            x.attempts++;
            if (another) {
                send(x, backend, upgrade, upstream);
            } else {
                waitForInstance(x, backend, upgrade, RESTART_NOTICE_MS);
            }
        } else {
            fail(x, cause, upstream);
        }
    }

    /** A WebSocket upgrade, through Vert.x's client: a 101 turns both connections into the tunnel. */
    private void upgrade(Exchange x, BackendRoute backend, BackendRoute.Upstream upstream, MultiMap headers) {
        HttpServerRequest request = x.request;
        HostAndPort authority = request.authority();
        RequestOptions options = new RequestOptions()
                .setServer(upstream.address())
                .setSsl(upstream.tls())
                .setMethod(request.method())
                // origin-form: the edge's framing rules turned an absolute-form target into path + Host
                .setURI(request.uri())
                .setHost(authority == null ? upstream.host() : authority.host())
                .setPort(authority == null || authority.port() < 0 ? upstream.port() : authority.port())
                .setHeaders(headers)
                .setConnectTimeout(connectTimeoutMs)
                .setIdleTimeout(idleTimeoutMs);
        client.request(options).onComplete(created -> {
            if (created.failed()) {
                connectFailed(x, backend, true, upstream, created.cause());
                return;
            }
            health.succeeded(upstream);
            HttpClientRequest out = created.result();
            backend.pool().ifPresent(p -> x.count(p, upstream));
            x.origin = upstream.origin();
            x.upstream = upstream;
            x.tunnelRequest = out;
            // Failures reach the response future or the exchange; without a handler Vert.x logs each as an ERROR.
            out.exceptionHandler(e -> LOG.debug("upstream request to {}: {}", upstream.origin(), e.toString()));
            if (x.clientFailure != null) {
                out.reset(0, x.clientFailure); // the client left while we connected: send nothing
                return;
            }
            tunnel(x, out);
        });
    }

    /**
     * No instance of a managed backend answers now (it sleeps, starts or restarts): the request waits, paused, until
     * one is ready, bounded by the site's readiness timeout; then it is sent, or answered 503 saying why.
     *
     * @param delayMs how long to let the supervisor notice a crash first (a refused connection), 0 otherwise
     */
    private void waitForInstance(Exchange x, BackendRoute backend, boolean upgrade, long delayMs) {
        HttpServerRequest request = x.request;
        if (backend.pool().isEmpty()) {
            DataPlaneErrors.json(request, 502, "NO_BACKEND", "deployment " + x.deployment.id() + " has no upstream");
            return;
        }
        Context context = vertx.getOrCreateContext();
        Runnable await = () -> backend.pool().get().awaitReady().whenComplete((v, error) -> context.runOnContext(n -> {
            if (x.clientFailure != null) {
                return; // the client left while it waited
            }
            if (error != null || backend.current().isEmpty()) {
                String why = error == null ? "no instance is ready" : String.valueOf(
                        error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                                ? error.getCause().getMessage() : error.getMessage());
                DataPlaneErrors.json(request, 503, "BACKEND_UNAVAILABLE", "the backend of deployment "
                        + x.deployment.id() + " is not ready: " + why, why);
                return;
            }
            send(x, backend, upgrade, null);
        }));
        if (delayMs > 0) {
            vertx.setTimer(delayMs, id -> await.run());
        } else {
            await.run();
        }
    }

    /**
     * Whether a request whose upstream connection failed before the response head may be sent again: idempotent, no
     * body, the client still there, not a timeout (a slow backend may be working on it), and another try left.
     */
    /**
     * Whether the request carries a body (RFC 9112 §6.3; the edge's framing rules already refused anything ambiguous):
     * a transfer coding, or a Content-Length other than 0. Without one it is sent upstream as bodiless, and may be
     * sent again.
     */
    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("content-length");
        return request.headers().contains("transfer-encoding") || length != null && !length.equals("0");
    }

    private static boolean retryable(Exchange x, Throwable cause, boolean elsewhere) {
        HttpServerRequest request = x.request;
        HttpMethod m = request.method();
        boolean idempotent = m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS;
        boolean bodiless = !hasBody(request);
        boolean timeout = cause instanceof TimeoutException || String.valueOf(cause).toLowerCase(java.util.Locale.ROOT)
                .contains("timeout");
        return elsewhere && idempotent && bodiless && !timeout && x.clientFailure == null
                && !request.response().headWritten() && x.attempts < MANAGED_ATTEMPTS;
    }

    /**
     * The response head for the client from the backend's: its status and headers without hop-by-hop fields, the
     * deployment header, {@code Cache-Control: no-store} when the backend set none (never left to heuristic caching),
     * framing; and the encoder when the site compresses proxied responses and this one qualifies, else null.
     */
    private static StreamingEncoder beginResponse(Exchange x, int status, String reason, MultiMap from) {
        HttpServerRequest request = x.request;
        HttpServerResponse out = request.response();
        out.setStatusCode(status);
        if (reason != null) {
            out.setStatusMessage(reason);
        }
        // A Strict-Transport-Security of the backend's own replaces the site's (set by the edge over HTTPS).
        if (from.contains(Headers.STRICT_TRANSPORT_SECURITY)) {
            out.headers().remove(Headers.STRICT_TRANSPORT_SECURITY);
        }
        HopByHop.copy(from, out.headers(), Set.of());
        out.putHeader(Headers.DEPLOYMENT, x.deployment.id());
        if (!out.headers().contains(Headers.CACHE_CONTROL)) {
            out.putHeader(Headers.CACHE_CONTROL, Headers.NO_STORE);
        }
        boolean bodiless = request.method() == HttpMethod.HEAD || status == 204 || status == 304 || status < 200;
        StreamingEncoder encoder = x.compress
                ? ProxiedCompression.start(request.method(), request.getHeader(Headers.ACCEPT_ENCODING), status,
                        out.headers()).orElse(null)
                : null;
        if (!bodiless && !out.headers().contains(Headers.CONTENT_LENGTH)) {
            out.setChunked(true);
        }
        return encoder;
    }

    /** A backend's refusal of a WebSocket upgrade, relayed as an ordinary response; the client connection closes. */
    private void relayRefusal(Exchange x, HttpClientResponse in) {
        x.upstreamTime.accept(System.nanoTime() - x.started);
        HttpServerRequest request = x.request;
        HttpServerResponse out = request.response();
        StreamingEncoder encoder = beginResponse(x, in.statusCode(), in.statusMessage(), in.headers());
        x.encoder = encoder;
        x.headSeen = true;
        x.watch();
        // A backend that dies mid-body or breaks its framing: the client must see a broken response, never a short
        // one passed off as whole.
        in.exceptionHandler(x::upstreamBroken);
        in.request().connection().closeHandler(v -> x.upstreamBroken(new HttpClosedException("connection closed")));
        in.handler(chunk -> {
            x.lastData = System.currentTimeMillis();
            out.write(encoder == null ? chunk : encoder.write(chunk));
            if (out.writeQueueFull()) {
                in.pause();
                out.drainHandler(v -> in.resume());
            }
        });
        in.endHandler(v -> {
            io.vertx.core.buffer.Buffer tail = encoder == null ? null : encoder.finish();
            x.finish();
            if (tail == null) {
                out.end();
            } else {
                out.end(tail);
            }
            request.connection().close();
        });
    }

    private void tunnel(Exchange x, HttpClientRequest out) {
        HttpServerRequest request = x.request;
        DeploymentRoute deployment = x.deployment;
        Context context = Vertx.currentContext();
        out.connect().onComplete(ar -> {
            if (ar.failed()) {
                tunnelFailed(request, deployment, ar.cause());
                return;
            }
            HttpClientResponse answer = ar.result();
            if (answer.statusCode() != 101) {
                // Not a tunnel (RFC 9931): relay the refusal as an ordinary response and close.
                request.response().putHeader("connection", "close");
                relayRefusal(x, answer);
                return;
            }
            x.finish(); // from here on the tunnel owns both connections
            HttpServerResponse response = request.response();
            if (answer.headers().contains(Headers.STRICT_TRANSPORT_SECURITY)) {
                response.headers().remove(Headers.STRICT_TRANSPORT_SECURITY);
            }
            HopByHop.copy(answer.headers(), response.headers(), Set.of());
            response.putHeader(Headers.DEPLOYMENT, deployment.id());
            response.putHeader("upgrade", "websocket");
            response.putHeader("connection", "Upgrade");
            request.toNetSocket().onComplete(front -> {
                if (front.failed()) {
                    answer.netSocket().close();
                    return;
                }
                tunnels.open(deployment.id(), context, front.result(), answer.netSocket());
            });
        });
    }

    private void fail(Exchange x, Throwable cause, BackendRoute.Upstream upstream) {
        HttpServerRequest request = x.request;
        x.uncount();
        if (x.clientFailure != null) {
            LOG.debug("{} {}: client went away or its body broke ({}); upstream request aborted", request.method(),
                    request.uri(), x.clientFailure.toString());
            return;
        }
        if (request.response().headWritten()) {
            request.connection().close();
            return;
        }
        String deployment = "the backend of deployment " + x.deployment.id();
        String where = (upstream == null ? "backend" : upstream.origin()) + ": " + cause;
        if (cause instanceof TimeoutException || String.valueOf(cause).contains("timeout")
                || String.valueOf(cause).contains("Timeout")) {
            DataPlaneErrors.json(request, 504, "BACKEND_TIMEOUT", deployment + " did not answer in time", where);
        } else if (cause instanceof ConnectException || String.valueOf(cause).contains("Connection refused")) {
            DataPlaneErrors.json(request, 502, "BACKEND_UNREACHABLE", deployment + " refused the connection", where);
        } else {
            DataPlaneErrors.json(request, 502, "BACKEND_ERROR", deployment + " sent no valid response", where);
        }
    }

    private static void tunnelFailed(HttpServerRequest request, DeploymentRoute deployment, Throwable cause) {
        if (request.response().headWritten()) {
            request.connection().close();
            return;
        }
        DataPlaneErrors.json(request, 502, "BACKEND_ERROR", "the backend of deployment " + deployment.id()
                + " did not accept the WebSocket", "tunnel: " + cause);
    }

    /**
     * One proxied request: what failed on the client's side (its body broke, or it went away) and the upstream request
     * to abort then; the connection it holds and what it has seen of the response. A backend that stalls before or
     * within its answer (no byte either way for the upstream timeout) is noticed by its connection's IdleStateHandler
     * ({@link #idle}); only a refused upgrade's relay keeps a timer of its own.
     */
    private final class Exchange implements UpstreamPool.Exchange {
        final HttpServerRequest request;
        final DeploymentRoute deployment;
        final java.util.function.LongConsumer upstreamTime;
        final long started = System.nanoTime();
        Throwable clientFailure;
        /** Whether the whole request body went upstream (a backend may answer before it has read it all). */
        boolean bodySent;
        String origin = "backend";
        volatile long lastData;
        long timer = -1;
        boolean finished;
        /** Retries after a refused connection (a managed instance restarting). */
        int attempts;
        /** Whether the site compresses proxied responses; the encoder of this one's body once it is decided. */
        boolean compress;
        StreamingEncoder encoder;
        BackendRoute backend;
        BackendRoute.Upstream upstream;
        /** How many upstreams the backend had when this attempt picked one. */
        int upstreamsNow;
        /** The Netty-level connection while this exchange holds it. */
        UpstreamPool.Connection connection;
        /** The Vert.x request of a WebSocket upgrade. */
        HttpClientRequest tunnelRequest;
        boolean headSeen;
        /** Inside a 1xx interim response (skipped: the client gets the final one). */
        boolean interim;
        boolean keepAlive;
        boolean bodyPaused;
        private InstancePool instances;
        private BackendRoute.Upstream counted;

        Exchange(HttpServerRequest request, DeploymentRoute deployment, java.util.function.LongConsumer upstreamTime) {
            this.request = request;
            this.deployment = deployment;
            this.upstreamTime = upstreamTime;
        }

        /** Sends the request head and streams the body on {@code c}, with backpressure both ways. */
        void forward(UpstreamPool.Connection c, MultiMap headers) {
            connection = c;
            c.exchange = this;
            headSeen = false;
            interim = false;
            io.netty.channel.Channel ch = c.channel;
            boolean body = hasBody(request);
            if (body && !headers.contains("content-length")) {
                headers.set("transfer-encoding", "chunked");
            }
            DefaultHttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1,
                    io.netty.handler.codec.http.HttpMethod.valueOf(request.method().name()), request.uri(),
                    (io.netty.handler.codec.http.HttpHeaders) headers);
            if (!body) {
                // A request without framing headers has no body: sent as such, not as an empty chunked body.
                bodySent = true;
                ch.write(head, ch.voidPromise());
                ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise());
                request.resume();
                return;
            }
            ch.writeAndFlush(head, ch.voidPromise());
            // By hand rather than a pipe: a pipe ends the destination when its source fails, which would send the
            // backend a terminating 0-chunk (or a short Content-Length body) for a body that never arrived whole.
            request.handler(chunk -> {
                UpstreamPool.Connection now = connection;
                if (now == null) {
                    return; // answered already (or aborted): the rest of the body is read and dropped
                }
                now.channel.writeAndFlush(new DefaultHttpContent(((BufferInternal) chunk).getByteBuf()),
                        now.channel.voidPromise());
                if (!now.channel.isWritable()) {
                    bodyPaused = true;
                    request.pause();
                }
            });
            request.endHandler(v -> {
                bodySent = true;
                UpstreamPool.Connection now = connection;
                if (now != null) {
                    now.channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, now.channel.voidPromise());
                    if (finished) {
                        done(); // the answer came first
                    }
                }
            });
            request.resume();
        }

        @Override
        public void writable() {
            if (bodyPaused) {
                bodyPaused = false;
                request.resume();
            }
        }

        @Override
        public void read(HttpObject message) {
            if (message.decoderResult().isFailure()) {
                ReferenceCountUtil.release(message);
                Throwable cause = message.decoderResult().cause();
                if (headSeen) {
                    upstreamBroken(cause);
                } else {
                    abortUpstream();
                    fail(this, new IllegalStateException("invalid response: " + cause.getMessage()), upstream);
                }
                return;
            }
            if (message instanceof HttpResponse response) {
                int status = response.status().code();
                if (status / 100 == 1) {
                    // 100 Continue and the like: the client gets the final answer. A 101 to a request that did not
                    // ask for an upgrade is no valid answer.
                    if (status == 101) {
                        ReferenceCountUtil.release(message);
                        abortUpstream();
                        fail(this, new IllegalStateException("101 to a request without Upgrade"), upstream);
                        return;
                    }
                    interim = true;
                } else {
                    headSeen = true;
                    keepAlive = HttpUtil.isKeepAlive(response);
                    upstreamTime.accept(System.nanoTime() - started);
                    encoder = beginResponse(this, status, response.status().reasonPhrase(),
                            (MultiMap) response.headers());
                }
            }
            if (message instanceof HttpContent content) {
                if (interim || finished) {
                    content.release();
                    if (content instanceof LastHttpContent) {
                        interim = false;
                    }
                    return;
                }
                HttpServerResponse out = request.response();
                boolean last = content instanceof LastHttpContent;
                io.vertx.core.buffer.Buffer chunk = null;
                if (content.content().isReadable()) {
                    chunk = BufferInternal.safeBuffer(content.content());
                    if (encoder != null) {
                        chunk = encoder.write(chunk);
                    }
                } else {
                    content.release();
                }
                if (!last) {
                    if (chunk != null) {
                        out.write(chunk);
                    }
                    if (out.writeQueueFull()) {
                        io.netty.channel.Channel ch = connection.channel;
                        ch.config().setAutoRead(false);
                        out.drainHandler(v -> ch.config().setAutoRead(true));
                    }
                    return;
                }
                // The last part (for a small answer, all of it) goes out with the end: one write, not two.
                io.vertx.core.buffer.Buffer tail = encoder == null ? null : encoder.finish();
                finish();
                if (chunk != null && tail != null) {
                    out.write(chunk);
                    chunk = tail;
                } else if (chunk == null) {
                    chunk = tail;
                }
                if (chunk == null) {
                    out.end();
                } else {
                    out.end(chunk);
                }
                done();
            }
        }

        /** The response is whole: the connection goes back to the pool, or closes when it cannot be reused. */
        private void done() {
            UpstreamPool.Connection c = connection;
            if (c == null) {
                return;
            }
            if (!bodySent || !keepAlive) {
                // An answer before the whole body went up: the rest of the body would follow on this connection.
                connection = null;
                c.abort();
                if (bodyPaused) {
                    bodyPaused = false;
                    request.resume(); // read and drop the rest
                }
                return;
            }
            connection = null;
            c.channel.config().setAutoRead(true);
            pool.release(c);
        }

        @Override
        public void closed(Throwable cause) {
            connection = null;
            if (finished) {
                return;
            }
            if (!headSeen) {
                if (retryable(this, cause, upstreamsNow > 1 || backend.pool().isPresent())) {
                    // The connection broke before any answer (a pooled connection to an instance that just died):
                    // a bodiless idempotent request can go again elsewhere, as nginx's proxy_next_upstream does.
                    health.failed(upstream);
                    attempts++;
                    uncount();
                    cancelTimer();
                    send(this, backend, false, upstream);
                    return;
                }
                cancelTimer();
                fail(this, cause, upstream);
                return;
            }
            upstreamBroken(cause);
        }

        @Override
        public void idle() {
            if (finished) {
                return;
            }
            if (!headSeen) {
                abortUpstream();
                uncount();
                finished = true;
                fail(this, new TimeoutException("no answer for " + idleTimeoutMs + " ms"), upstream);
                return;
            }
            broken(504, "BACKEND_TIMEOUT", "stopped sending its response", "no data for " + idleTimeoutMs + " ms");
        }

        /** Never back into any pool: the backend must see the request aborted. */
        private void abortUpstream() {
            UpstreamPool.Connection c = connection;
            connection = null;
            if (c != null) {
                c.abort();
            }
            HttpClientRequest t = tunnelRequest;
            if (t != null) {
                t.reset(0, clientFailure == null ? new IllegalStateException("aborted") : clientFailure);
                if (!bodySent) {
                    t.connection().close();
                }
            }
        }

        /**
         * The client's body did not arrive whole, or the client left: the backend must see an aborted request (its
         * connection closed), never a terminator that would make a truncated body look complete.
         */
        void clientFailed(Throwable cause) {
            if (clientFailure != null || finished && bodySent) {
                return;
            }
            clientFailure = cause;
            finish();
            abortUpstream();
        }

        /** Starts the idle timer of a refused upgrade's relay (the Netty path has its connection's IdleStateHandler). */
        void watch() {
            cancelTimer();
            lastData = System.currentTimeMillis();
            timer = vertx.setTimer(idleTimeoutMs, id -> checkIdle());
        }

        private void checkIdle() {
            timer = -1;
            if (finished) {
                return;
            }
            long idle = System.currentTimeMillis() - lastData;
            if (idle < idleTimeoutMs) {
                timer = vertx.setTimer(idleTimeoutMs - idle, id -> checkIdle());
                return;
            }
            idle();
        }

        void upstreamBroken(Throwable cause) {
            broken(502, "BACKEND_ERROR", "sent a broken response", cause.toString());
        }

        /** Before the client saw a byte: a clean error; after: a closed connection. Either way one WARN line. */
        private void broken(int status, String code, String what, String detail) {
            if (finished) {
                return;
            }
            finish();
            abortUpstream();
            String message = "the backend of deployment " + deployment.id() + " " + what;
            if (!request.response().headWritten()) {
                DataPlaneErrors.json(request, status, code, message, origin + ": " + detail);
                return;
            }
            LOG.warn("request {} {} {} -> {} after the head: {} ({}: {}); client connection closed",
                    DataPlaneErrors.newRequestId(), request.method(), request.uri(), status, message, origin, detail);
            request.connection().close();
        }

        /** Counts this request as in flight on a managed instance until it ends. */
        void count(InstancePool pool, BackendRoute.Upstream upstream) {
            uncount();
            this.instances = pool;
            this.counted = upstream;
            pool.begin(upstream);
        }

        void uncount() {
            if (counted != null) {
                instances.end(counted);
                counted = null;
            }
        }

        private void cancelTimer() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }

        void finish() {
            uncount();
            finished = true;
            if (encoder != null) {
                encoder.abandon(); // a no-op after the coding's end; frees the native brotli state of a broken one
                encoder = null;
            }
            cancelTimer();
        }
    }
}
