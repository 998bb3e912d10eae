package dev.skewgate.edge;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.List;

/**
 * A strict decoder for one chunked request body (RFC 9112 §7.1), used instead of Netty's. Written by hand because
 * Netty 4.2's cannot be made strict by configuration: it accumulates the chunk size in an {@code int} whose overflow
 * check misses wrap-around ({@code 10000000000000005} reads as 5, and the bytes after it become the next request),
 * skips leading whitespace, accepts anything after a space, and refuses the valid extension {@code 5;a=b}.
 *
 * <p>Here every line ends in CRLF exactly; a size is hex digits only (at most 16, value at most 2^31-1), optionally
 * followed by extensions as the grammar allows them (ignored, §7.1.1); the data must be followed by CRLF; the trailer
 * section is well-formed field lines within a bound, and discarded (RFC 9110 §6.5.1 lets a recipient that removes the
 * chunked coding do so). Anything else is a {@link FramingException}.
 */
final class ChunkedBody {

    static final int MAX_SIZE_DIGITS = 16;
    static final int MAX_LINE = 4096;

    private enum State { SIZE_LINE, DATA, DATA_CRLF, TRAILERS, DONE }

    private final int maxContent;
    private final int maxTrailers;
    private State state = State.SIZE_LINE;
    private long remaining;
    private int trailerBytes;

    /** @param maxContent the largest piece of content handed on at once; @param maxTrailers bound of the trailer section */
    ChunkedBody(int maxContent, int maxTrailers) {
        this.maxContent = maxContent;
        this.maxTrailers = maxTrailers;
    }

    /**
     * Consumes what it can of {@code in}, adding the body's content to {@code out} as it arrives (a chunk need not be
     * complete to be passed on) and {@link LastHttpContent#EMPTY_LAST_CONTENT} at the end.
     *
     * @return whether the body has ended; the bytes after it are the next request's
     */
    boolean decode(ByteBuf in, List<Object> out) {
        while (true) {
            switch (state) {
                case SIZE_LINE -> {
                    int lineEnd = lineEnd(in, MAX_LINE, "chunk size line");
                    if (lineEnd < 0) {
                        return false;
                    }
                    remaining = sizeLine(in, in.readerIndex(), lineEnd);
                    in.readerIndex(lineEnd + 2);
                    state = remaining == 0 ? State.TRAILERS : State.DATA;
                }
                case DATA -> {
                    int n = (int) Math.min(Math.min(remaining, in.readableBytes()), maxContent);
                    if (n == 0) {
                        return false;
                    }
                    out.add(new DefaultHttpContent(in.readRetainedSlice(n)));
                    remaining -= n;
                    if (remaining == 0) {
                        state = State.DATA_CRLF;
                    }
                }
                case DATA_CRLF -> {
                    if (in.readableBytes() < 2) {
                        if (in.readableBytes() == 1 && in.getByte(in.readerIndex()) != '\r') {
                            throw bad("the chunk data is not followed by CRLF");
                        }
                        return false;
                    }
                    if (in.getByte(in.readerIndex()) != '\r' || in.getByte(in.readerIndex() + 1) != '\n') {
                        throw bad("the chunk data is not followed by CRLF");
                    }
                    in.skipBytes(2);
                    state = State.SIZE_LINE;
                }
                case TRAILERS -> {
                    int lineEnd = lineEnd(in, maxTrailers - trailerBytes, "trailer section");
                    if (lineEnd < 0) {
                        return false;
                    }
                    int start = in.readerIndex();
                    trailerBytes += lineEnd + 2 - start;
                    if (lineEnd == start) {
                        in.readerIndex(lineEnd + 2);
                        out.add(LastHttpContent.EMPTY_LAST_CONTENT);
                        state = State.DONE;
                        return true;
                    }
                    fieldLine(in, start, lineEnd);
                    in.readerIndex(lineEnd + 2);
                }
                case DONE -> {
                    return true;
                }
            }
        }
    }

    /**
     * The index of the CR of the line starting at the reader index, or -1 when the line is not complete yet. A bare
     * LF, or a CR not followed by LF, is refused: lenient line endings are a classic way to make two parsers disagree.
     */
    private static int lineEnd(ByteBuf in, int max, String what) {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int limit = Math.min(end, start + max + 2);
        for (int i = start; i < limit; i++) {
            byte b = in.getByte(i);
            if (b == '\n') {
                throw bad("a line of the chunked body ends in a bare LF");
            }
            if (b == '\r') {
                if (i + 1 >= end) {
                    return -1;
                }
                if (in.getByte(i + 1) != '\n') {
                    throw bad("a line of the chunked body has a CR without LF");
                }
                return i;
            }
        }
        if (end - start > max) {
            throw bad("the " + what + " is too long");
        }
        return -1;
    }

    /** chunk-size [ chunk-ext ], §7.1 and §7.1.1; returns the size. */
    private static long sizeLine(ByteBuf in, int from, int to) {
        long size = 0;
        int i = from;
        while (i < to && Character.digit(in.getByte(i), 16) >= 0) {
            if (i - from == MAX_SIZE_DIGITS) {
                throw bad("the chunk size has too many digits");
            }
            size = size << 4 | Character.digit(in.getByte(i), 16);
            if (size > Integer.MAX_VALUE) {
                throw bad("the chunk size is too large");
            }
            i++;
        }
        if (i == from) {
            throw bad("a chunk size is not a hexadecimal number");
        }
        extensions(in, i, to);
        return size;
    }

    /** chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ); a value is a token or quoted-string. */
    private static void extensions(ByteBuf in, int i, int to) {
        while (i < to) {
            i = whitespace(in, i, to);
            if (i == to || in.getByte(i) != ';') {
                throw bad("a chunk size is followed by something other than an extension");
            }
            i = whitespace(in, i + 1, to);
            int name = i;
            i = token(in, i, to);
            if (i == name) {
                throw bad("a chunk extension has no name");
            }
            int afterName = i;
            i = whitespace(in, i, to);
            if (i < to && in.getByte(i) == '=') {
                i = whitespace(in, i + 1, to);
                if (i < to && in.getByte(i) == '"') {
                    i = quoted(in, i + 1, to);
                } else {
                    int value = i;
                    i = token(in, i, to);
                    if (i == value) {
                        throw bad("a chunk extension has an empty value");
                    }
                }
            } else if (i == to && i != afterName) {
                throw bad("a chunk extension ends in whitespace");
            }
        }
    }

    private static int quoted(ByteBuf in, int i, int to) {
        while (i < to) {
            int b = in.getByte(i) & 0xff;
            if (b == '"') {
                return i + 1;
            }
            if (b == '\\') {
                if (i + 1 >= to || !quotable(in.getByte(i + 1) & 0xff)) {
                    throw bad("a chunk extension has a bad escape");
                }
                i += 2;
                continue;
            }
            if (!quotable(b)) {
                throw bad("a chunk extension has a control character");
            }
            i++;
        }
        throw bad("a chunk extension has an unterminated quoted string");
    }

    private static boolean quotable(int b) {
        return b == '\t' || b >= 0x20 && b != 0x7f;
    }

    private static int whitespace(ByteBuf in, int i, int to) {
        while (i < to && (in.getByte(i) == ' ' || in.getByte(i) == '\t')) {
            i++;
        }
        return i;
    }

    private static int token(ByteBuf in, int i, int to) {
        while (i < to && isTokenChar(in.getByte(i) & 0xff)) {
            i++;
        }
        return i;
    }

    /** tchar, RFC 9110 §5.6.2. */
    static boolean isTokenChar(int c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    /** field-name ":" OWS field-value OWS, no obs-fold (a line starting with whitespace), no controls. */
    private static void fieldLine(ByteBuf in, int from, int to) {
        int colon = token(in, from, to);
        if (colon == from || colon == to || in.getByte(colon) != ':') {
            throw bad("a trailer field is malformed");
        }
        for (int i = colon + 1; i < to; i++) {
            int b = in.getByte(i) & 0xff;
            if (b != '\t' && (b < 0x20 || b == 0x7f)) {
                throw bad("a trailer field has a control character");
            }
        }
    }

    private static FramingException bad(String message) {
        return new FramingException(400, message);
    }
}
