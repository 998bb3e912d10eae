package dev.skewgate.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 9112 §6.1: a request with both Content-Length and Transfer-Encoding is rejected (400) and its connection closed.
 * Netty's decoder instead drops Content-Length and carries on, which leaves the door open to request smuggling through
 * a front proxy that framed the message by Content-Length. Vert.x offers no option for this, so the decoder of each new
 * HTTP/1.x connection is swapped for a subclass that fails the message; Vert.x then answers 400 and closes.
 * Uses Vert.x internals (pinned at 5.0.10); {@code StrictFramingTest} fails if an upgrade breaks it.
 */
final class StrictFraming {

    private static final Logger LOG = LoggerFactory.getLogger(StrictFraming.class);
    private static final HttpServerOptions DECODER_OPTIONS = new HttpServerOptions()
            .setMaxInitialLineLength(8192).setMaxHeaderSize(16 * 1024);

    private StrictFraming() {
    }

    static void install(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            return;
        }
        ChannelPipeline pipeline = base.channel().pipeline();
        for (var entry : pipeline) {
            ChannelHandler handler = entry.getValue();
            if (handler instanceof VertxHttpRequestDecoder && !(handler instanceof Decoder)) {
                pipeline.replace(handler, entry.getKey(), new Decoder(DECODER_OPTIONS));
                return;
            }
        }
        LOG.debug("no HTTP/1 decoder on {}", connection.remoteAddress());
    }

    /** Vert.x's decoder, failing a message framed two ways instead of guessing. */
    static final class Decoder extends VertxHttpRequestDecoder {
        Decoder(HttpServerOptions options) {
            super(options);
        }

        private boolean answered;

        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
            throw new IllegalArgumentException("both Content-Length and Transfer-Encoding: ambiguous framing");
        }

        /**
         * A body whose chunked framing is invalid (after a valid head, so Vert.x has already dispatched the request):
         * Vert.x closes the connection without a word, so answer 400 first, as RFC 9112 §7.1 expects.
         */
        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            super.decode(ctx, buffer, out);
            if (answered) {
                return;
            }
            for (Object message : out) {
                if (message instanceof HttpContent content && !(message instanceof HttpMessage)
                        && content.decoderResult().isFailure()) {
                    answered = true;
                    ctx.writeAndFlush(Unpooled.copiedBuffer(BAD_BODY));
                    return;
                }
            }
        }
    }

    private static final byte[] BAD_BODY = ("HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\n"
            + "cache-control: no-store\r\nconnection: close\r\ncontent-length: 39\r\n\r\n"
            + "the request body's framing is invalid\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
}
