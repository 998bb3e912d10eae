package dev.skewgate.proxy;

import dev.skewgate.routing.BackendRoute;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Vertx;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * Keep-alive HTTP/1.1 connections to the backends at the Netty level, one pool per event loop: the proxy's hot path.
 *
 * <p>Why not Vert.x's HTTP client, which the proxy used before: in the JFR profile of {@code bench/proxy-vs-nginx.sh}
 * its per-request machinery (request and response objects, futures and their listeners, context dispatch, the
 * connection pool's acquire/recycle, a header map built per request) was about half of the proxy's CPU. A forwarding
 * connection needs only Netty's HTTP codec and one handler; everything here runs on the one event loop that owns the
 * client's connection, so nothing is locked. The headers on both sides are Vert.x's {@link HeadersMultiMap} (a
 * Netty {@code HttpHeaders} too), so the edge's header rules apply unchanged and nothing is copied twice.
 *
 * <p>Decided as nginx does: no cap on open connections to a backend (a cap would only queue requests inside the
 * gateway), at most {@value #MAX_IDLE} idle ones kept per backend and loop, each for at most
 * {@value #KEEP_ALIVE_MS} ms — below the 5 s keep-alive of common backends (Node), so a connection is not reused
 * just as the backend closes it.
 */
final class UpstreamPool {

    static final long KEEP_ALIVE_MS = 4_000;
    static final int MAX_IDLE = 256;
    private static final int MAX_INITIAL_LINE = 8192;
    private static final int MAX_HEADERS = 32 * 1024;
    private static final HttpHeadersFactory MULTI_MAP = new HttpHeadersFactory() {
        @Override
        public io.netty.handler.codec.http.HttpHeaders newHeaders() {
            return HeadersMultiMap.httpHeaders();
        }

        @Override
        public io.netty.handler.codec.http.HttpHeaders newEmptyHeaders() {
            return HeadersMultiMap.httpHeaders();
        }
    };

    private final Bootstrap bootstrap;
    private final SslContext tls;
    private final Map<String, ArrayDeque<Connection>> idle = new HashMap<>();
    private final ScheduledFuture<?> sweeper;

    /** Must be made on an event-loop context: the pool belongs to that loop. */
    /**
     * @param idleTimeoutMs no byte either way on a connection that serves a request for this long ends the request
     *     (Netty's IdleStateHandler: one task per connection that re-arms itself, nothing scheduled per request)
     */
    UpstreamPool(Vertx vertx, long connectTimeoutMs, long idleTimeoutMs) {
        VertxInternal vx = (VertxInternal) vertx;
        EventLoop loop = ((ContextInternal) vertx.getOrCreateContext()).nettyEventLoop();
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(vx.transport().channelFactory(false))
                .resolver(vx.nameResolver().nettyAddressResolverGroup())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) connectTimeoutMs)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        HttpDecoderConfig decoder = new HttpDecoderConfig()
                                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                                .setMaxHeaderSize(MAX_HEADERS)
                                .setHeadersFactory(MULTI_MAP)
                                .setTrailersFactory(MULTI_MAP);
                        ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleTimeoutMs, TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("codec", new HttpClientCodec(decoder, false, false));
                        ch.pipeline().addLast("upstream", new Connection(UpstreamPool.this, ch));
                    }
                });
        try {
            this.tls = SslContextBuilder.forClient().build(); // the JDK's trust store, as Vert.x's client defaults to
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS to backends: " + e.getMessage(), e);
        }
        this.sweeper = loop.scheduleAtFixedRate(this::sweep, KEEP_ALIVE_MS / 2, KEEP_ALIVE_MS / 2,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Hands {@code then} an idle connection to {@code upstream} or a new one (with the TLS handshake done, the host name
     * verified, for an https upstream), or the reason none could be made. Runs {@code then} on the pool's loop.
     */
    void acquire(BackendRoute.Upstream upstream, BiConsumer<Connection, Throwable> then) {
        ArrayDeque<Connection> q = idle.get(upstream.origin());
        long now = System.nanoTime();
        while (q != null && !q.isEmpty()) {
            Connection c = q.pollLast(); // the most recently used: the others age out first
            if (c.channel.isActive() && now - c.idleSince < TimeUnit.MILLISECONDS.toNanos(KEEP_ALIVE_MS)) {
                c.pooled = false;
                then.accept(c, null);
                return;
            }
            c.pooled = false;
            c.channel.close();
        }
        ChannelFuture connect = bootstrap.connect(InetSocketAddress.createUnresolved(upstream.host(), upstream.port()));
        connect.addListener(done -> {
            if (!done.isSuccess()) {
                then.accept(null, done.cause());
                return;
            }
            Channel ch = connect.channel();
            Connection c = ch.pipeline().get(Connection.class);
            c.origin = upstream.origin();
            if (!upstream.tls()) {
                then.accept(c, null);
                return;
            }
            SslHandler ssl = tls.newHandler(ch.alloc(), upstream.host(), upstream.port());
            SSLEngine engine = ssl.engine();
            SSLParameters params = engine.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            engine.setSSLParameters(params);
            ch.pipeline().addFirst("tls", ssl);
            ssl.handshakeFuture().addListener(shaken -> {
                if (shaken.isSuccess()) {
                    then.accept(c, null);
                } else {
                    ch.close();
                    then.accept(null, shaken.cause());
                }
            });
        });
    }

    /** Takes a connection back whose exchange ended cleanly (response whole, request body sent, keep-alive). */
    void release(Connection c) {
        c.exchange = null;
        if (!c.channel.isActive()) {
            return;
        }
        ArrayDeque<Connection> q = idle.computeIfAbsent(c.origin, k -> new ArrayDeque<>());
        if (q.size() >= MAX_IDLE) {
            c.channel.close();
            return;
        }
        c.idleSince = System.nanoTime();
        c.pooled = true;
        q.addLast(c);
    }

    /** Closes every idle connection (the listener stops). */
    void close() {
        sweeper.cancel(false);
        for (ArrayDeque<Connection> q : idle.values()) {
            for (Connection c : q) {
                c.channel.close();
            }
            q.clear();
        }
    }

    private void forget(Connection c) {
        if (c.pooled) {
            ArrayDeque<Connection> q = idle.get(c.origin);
            if (q != null) {
                q.remove(c);
            }
            c.pooled = false;
        }
    }

    private void sweep() {
        long oldest = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(KEEP_ALIVE_MS);
        for (ArrayDeque<Connection> q : idle.values()) {
            // Oldest first: the deque is ordered by the time each connection came back.
            while (!q.isEmpty() && q.peekFirst().idleSince < oldest) {
                Connection c = q.pollFirst();
                c.pooled = false;
                c.channel.close();
            }
        }
    }

    /** What one exchange is told by its connection; every call on the pool's loop. */
    interface Exchange {
        /** A response head or body part (1xx heads included); the exchange releases what it does not pass on. */
        void read(HttpObject message);

        /** The connection closed (or broke) while this exchange held it. */
        void closed(Throwable cause);

        /** The connection can take more of the request body. */
        void writable();

        /** No byte either way for the upstream timeout while this exchange held the connection. */
        void idle();
    }

    /** One pooled connection: the channel, and the exchange that holds it (none while idle). */
    static final class Connection extends ChannelInboundHandlerAdapter {
        final Channel channel;
        private final UpstreamPool pool;
        String origin;
        Exchange exchange;
        long idleSince;
        boolean pooled;

        Connection(UpstreamPool pool, Channel channel) {
            this.pool = pool;
            this.channel = channel;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Exchange x = exchange;
            if (x == null || !(msg instanceof HttpObject o)) {
                // Bytes from a backend nobody asked anything: the connection is out of step, never reused.
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            x.read(o);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            pool.forget(this);
            Exchange x = exchange;
            exchange = null;
            if (x != null) {
                x.closed(new io.vertx.core.http.HttpClosedException("connection closed"));
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            Exchange x = exchange;
            exchange = null;
            ctx.close();
            if (x != null) {
                x.closed(cause);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            Exchange x = exchange;
            if (evt instanceof IdleStateEvent && x != null) {
                x.idle(); // an idle pooled connection is the sweep's business, not a timeout
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Exchange x = exchange;
            if (x != null && ctx.channel().isWritable()) {
                x.writable();
            }
            ctx.fireChannelWritabilityChanged();
        }

        /** Never back into the pool: an aborted or broken exchange leaves the connection in an unknown state. */
        void abort() {
            exchange = null;
            channel.close();
        }
    }
}
