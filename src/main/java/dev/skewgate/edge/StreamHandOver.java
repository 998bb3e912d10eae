package dev.skewgate.edge;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.ShutdownEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes an open HTTP/1.1 event stream's channel over from Vert.x once its head and opening are written: an event
 * stream never answers another request, so the HTTP codec, Vert.x's connection (with its write queue, ~4.7 KB), the
 * idle timer and the framing check are removed from the pipeline and dropped; what stays is the transport (the
 * {@link SslHandler} on TLS) and {@link Tail}, which discards what the client sends and closes the channel on an
 * error or a server shutdown. The connection budget keeps counting the channel until it closes; the access log
 * gets the stream's line now, since Vert.x never sees it end. Over HTTP/2 a stream is one of many on the connection
 * and stays a Vert.x response. Uses Vert.x internals (pinned at 5.0.10), like {@link StrictFraming}.
 */
final class StreamHandOver {

    private static final Logger LOG = LoggerFactory.getLogger(StreamHandOver.class);
    static final String TAIL = "skewgate-event-stream";

    private final ConnectionLimits.Loop budget;

    StreamHandOver(ConnectionLimits.Loop budget) {
        this.budget = budget;
    }

    /** The request's channel, taken over; empty when the stream stays a Vert.x response. */
    Optional<Channel> take(HttpServerRequest request, Observed observed) {
        if (request.version() != HttpVersion.HTTP_1_1 || request.method() != HttpMethod.GET
                || !(request.connection() instanceof ConnectionBase base)) {
            return Optional.empty();
        }
        Channel channel = base.channel();
        // Not writable: Vert.x may still hold frames in its own queue, which must go out first; the stream stays.
        if (!channel.isActive() || !channel.isWritable() || !channel.eventLoop().inEventLoop()) {
            return Optional.empty();
        }
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast(TAIL, Tail.INSTANCE);
        List<ChannelHandler> drop = new ArrayList<>();
        for (Map.Entry<String, ChannelHandler> entry : pipeline) {
            if (!(entry.getValue() instanceof SslHandler) && entry.getValue() != Tail.INSTANCE) {
                drop.add(entry.getValue());
            }
        }
        // From the tail: a decoder removed while Vert.x's handler is still behind it would hand that handler the
        // bytes it had buffered (a request pipelined behind the stream's); Tail discards them instead.
        for (int i = drop.size() - 1; i >= 0; i--) {
            pipeline.remove(drop.get(i));
        }
        budget.handedOver(request.connection());
        Tls.forget(request.connection());
        observed.handedOver();
        LOG.trace("event stream of {} taken over: {}", request.remoteAddress(), pipeline.names());
        return Optional.of(channel);
    }

    /** The last handler of a taken-over stream's pipeline: one instance for all streams. */
    @ChannelHandler.Sharable
    static final class Tail extends ChannelInboundHandlerAdapter {
        static final Tail INSTANCE = new Tail();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg); // an event stream's client has nothing more to say
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("event stream of {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ShutdownEvent) {
                ctx.close(); // the server stops: the client reconnects (with Last-Event-ID) to another gateway
            }
            ReferenceCountUtil.release(evt);
        }
    }
}
