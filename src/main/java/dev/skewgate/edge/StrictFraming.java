package dev.skewgate.edge;

import dev.skewgate.http.DataPlaneErrors;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Strict HTTP/1 request framing for the edge: a gateway in front of other servers must never let a body become a
 * request. Each new connection's Vert.x decoder is swapped for {@link Decoder}, which lets Netty parse request lines
 * and headers, then holds every head to {@link RequestHeadRules} and decodes chunked bodies itself with
 * {@link ChunkedBody} (Netty's chunk parser cannot be made strict, see there). A refused head reaches Vert.x as a
 * failed request: {@link #refuse} answers it and Vert.x closes the connection. A refused body is answered here (the
 * request was already dispatched) and fails the request, so the proxy aborts what it sent upstream.
 * Uses Vert.x internals (pinned at 5.0.10); the conformance tests fail if an upgrade breaks it.
 */
final class StrictFraming {

    private static final Logger LOG = LoggerFactory.getLogger(StrictFraming.class);
    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADERS = 16 * 1024;
    private static final HttpServerOptions DECODER_OPTIONS = new HttpServerOptions()
            .setMaxInitialLineLength(MAX_INITIAL_LINE).setMaxHeaderSize(MAX_HEADERS);

    private StrictFraming() {
    }

    static void install(HttpConnection connection) {
        if (!(connection instanceof ConnectionBase base)) {
            return;
        }
        // A framing error is logged once, by whoever answers it (one WARN line with the request id); without a
        // handler Vert.x would log each again as an ERROR.
        connection.exceptionHandler(StrictFraming::connectionFailed);
        ChannelPipeline pipeline = base.channel().pipeline();
        for (var entry : pipeline) {
            ChannelHandler handler = entry.getValue();
            if (handler instanceof VertxHttpRequestDecoder && !(handler instanceof Decoder)) {
                Decoder decoder = new Decoder(DECODER_OPTIONS);
                pipeline.replace(handler, entry.getKey(), decoder);
                pipeline.addFirst("skewgate-response-watch", new ResponseWatch(decoder));
                return;
            }
        }
        LOG.debug("no HTTP/1 decoder on {}", connection.remoteAddress());
    }

    private static void connectionFailed(Throwable e) {
        if (e instanceof FramingException) {
            return;
        }
        if (e instanceof IOException) {
            LOG.debug("edge connection failed: {}", e.toString());
        } else {
            LOG.warn("edge connection failed: {}", e.toString());
        }
    }

    /** The server's invalid-request handler: a head that failed to decode or was refused by the rules. */
    static void refuse(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        int status = 400;
        String message = "the request is not valid HTTP/1.1";
        if (cause instanceof FramingException f) {
            status = f.status();
            message = f.getMessage();
        } else if (cause instanceof TooLongHttpLineException) {
            status = 414;
            message = "the request line is longer than " + MAX_INITIAL_LINE + " bytes";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            message = "the request headers are larger than " + MAX_HEADERS + " bytes";
        }
        request.response().putHeader("connection", "close");
        DataPlaneErrors.clientError(request, status, message);
    }

    /** Vert.x's decoder with the head rules and the strict chunked decoder. */
    static final class Decoder extends VertxHttpRequestDecoder {
        private enum Mode { MESSAGES, CHUNKED_BODY, DISCARD }

        private Mode mode = Mode.MESSAGES;
        private ChunkedBody body;
        private HttpRequest head;
        /** Whether anything was written to the client since the current request's head was decoded. */
        private boolean responseStarted;

        Decoder(HttpServerOptions options) {
            super(options);
        }

        /** Netty would drop Content-Length here and carry on; keep both so that the head rules refuse the request. */
        @Override
        protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
            switch (mode) {
                case DISCARD -> buffer.skipBytes(buffer.readableBytes()); // the connection is closing
                case CHUNKED_BODY -> {
                    try {
                        if (body.decode(buffer, out)) {
                            mode = Mode.MESSAGES;
                            reset(); // Netty's decoder is still "in the body"; the next bytes are a new request
                        }
                    } catch (FramingException e) {
                        refuseBody(ctx, buffer, out, e);
                    }
                }
                case MESSAGES -> {
                    int before = out.size();
                    super.decode(ctx, buffer, out);
                    for (int i = before; i < out.size(); i++) {
                        if (out.get(i) instanceof HttpRequest request) {
                            head(request, buffer);
                        }
                    }
                }
            }
        }

        private void head(HttpRequest request, ByteBuf buffer) {
            if (request.decoderResult().isFailure()) {
                mode = Mode.DISCARD;
                return;
            }
            Optional<FramingException> refused = RequestHeadRules.check(request);
            if (refused.isPresent()) {
                request.setDecoderResult(DecoderResult.failure(refused.get()));
                buffer.skipBytes(buffer.readableBytes());
                mode = Mode.DISCARD;
                return;
            }
            head = request;
            responseStarted = false;
            if (RequestHeadRules.chunked(request)) {
                body = new ChunkedBody(8192, MAX_HEADERS);
                mode = Mode.CHUNKED_BODY;
            }
        }

        /**
         * The head was valid, so Vert.x has dispatched the request and may have answered it. Answer 400 here unless
         * a response has started (a second response would be worse), then fail the request: Vert.x closes the
         * connection and the request's handlers see the failure (the proxy aborts its upstream request).
         */
        private void refuseBody(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out, FramingException e) {
            buffer.skipBytes(buffer.readableBytes());
            mode = Mode.DISCARD;
            String id = DataPlaneErrors.newRequestId();
            DataPlaneErrors.logClientError(id, head.method().name(), head.uri(), head.headers().get(HttpHeaderNames.HOST),
                    400, e.getMessage());
            if (!responseStarted) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(badBody(id, e.getMessage())));
            }
            HttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            failed.setDecoderResult(DecoderResult.failure(e));
            out.add(failed);
        }

        private static byte[] badBody(String id, String message) {
            byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
            String head = "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncache-control: no-store\r\n"
                    + "x-content-type-options: nosniff\r\nx-request-id: " + id + "\r\nconnection: close\r\n"
                    + "content-length: " + body.length + "\r\n\r\n";
            byte[] all = new byte[head.length() + body.length];
            System.arraycopy(head.getBytes(StandardCharsets.US_ASCII), 0, all, 0, head.length());
            System.arraycopy(body, 0, all, head.length(), body.length);
            return all;
        }
    }

    /** Tells the decoder that a response has started, so that a late body error does not answer a second time. */
    private static final class ResponseWatch extends ChannelOutboundHandlerAdapter {
        private final Decoder decoder;

        ResponseWatch(Decoder decoder) {
            this.decoder = decoder;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            decoder.responseStarted = true;
            ctx.write(msg, promise);
        }
    }
}
