package dev.skewgate.staticfiles;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Turns the raw request path into the key a manifest is looked up by, or refuses it. Decoding happens exactly once,
 * here, and whatever could mean "somewhere else" after decoding is refused rather than repaired: dot segments,
 * empty segments, encoded '/' or '\', NUL and other controls, invalid or overlong UTF-8. Since the decoded path is
 * only ever a key into the pinned deployment's manifest (never a file system path), nothing outside it can be served.
 */
public final class RequestPath {

    public static final int MAX_LENGTH = 2048;

    /** Why a path was refused; {@code status} is 400 or 414. */
    public record Refusal(int status, String reason) {
    }

    private final String path;
    private final Refusal refusal;

    private RequestPath(String path, Refusal refusal) {
        this.path = path;
        this.refusal = refusal;
    }

    /** The decoded path with its leading slash, when accepted. */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }

    public Optional<Refusal> refusal() {
        return Optional.ofNullable(refusal);
    }

    public static RequestPath parse(String raw) {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            return refuse(400, "the request path must start with '/'");
        }
        if (raw.length() > MAX_LENGTH) {
            return refuse(414, "the request path is longer than " + MAX_LENGTH + " characters");
        }
        String decoded;
        if (raw.indexOf('%') < 0) {
            // The common case, every request for a hashed asset: nothing to decode, so the bytes are the characters
            // (all ASCII once checked) and the path is the raw string itself: no buffer, no decoder, no copy.
            for (int i = 0; i < raw.length(); i++) {
                Refusal bad = badCharacter(raw.charAt(i));
                if (bad != null) {
                    return new RequestPath(null, bad);
                }
            }
            decoded = raw;
        } else {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
            for (int i = 0; i < raw.length(); i++) {
                char c = raw.charAt(i);
                int b;
                if (c == '%') {
                    if (i + 2 >= raw.length()) {
                        return refuse(400, "the request path has a truncated %-escape");
                    }
                    int hi = Character.digit(raw.charAt(i + 1), 16);
                    int lo = Character.digit(raw.charAt(i + 2), 16);
                    if (hi < 0 || lo < 0) {
                        return refuse(400, "the request path has an invalid %-escape");
                    }
                    b = hi << 4 | lo;
                    i += 2;
                    if (b == '/' || b == '\\') {
                        return refuse(400, "the request path has an encoded '/' or '\\'");
                    }
                    if (b < 0x20 || b == 0x7f) {
                        return refuse(400, "the request path has a control character");
                    }
                } else {
                    Refusal bad = badCharacter(c);
                    if (bad != null) {
                        return new RequestPath(null, bad);
                    }
                    b = c;
                }
                bytes.write(b);
            }
            try {
                // A strict decoder refuses overlong forms such as %c0%ae (an overlong '.').
                decoded = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
            } catch (CharacterCodingException e) {
                return refuse(400, "the request path is not valid UTF-8");
            }
        }
        int start = 1;
        while (start <= decoded.length()) {
            int end = decoded.indexOf('/', start);
            if (end < 0) {
                end = decoded.length();
            }
            int length = end - start;
            if (length == 0 && end != decoded.length()) {
                return refuse(400, "the request path has an empty segment ('//')");
            }
            if (length > 0 && decoded.charAt(start) == '.' && (length == 1 || length == 2 && decoded.charAt(start + 1) == '.')) {
                return refuse(400, "the request path has a '" + decoded.substring(start, end) + "' segment");
            }
            start = end + 1;
        }
        return new RequestPath(decoded, null);
    }

    private static final Refusal NOT_ENCODED = new Refusal(400, "the request path has a character that is not %-encoded");
    private static final Refusal CONTROL = new Refusal(400, "the request path has a control character");
    private static final Refusal BACKSLASH = new Refusal(400, "the request path has a backslash");

    /** Why an unescaped character may not stand in a path, or null when it may. */
    private static Refusal badCharacter(char c) {
        if (c > 0x7e) {
            return NOT_ENCODED;
        }
        if (c < 0x20) {
            return CONTROL;
        }
        return c == '\\' ? BACKSLASH : null;
    }

    private static RequestPath refuse(int status, String reason) {
        return new RequestPath(null, new Refusal(status, reason));
    }
}
