package dev.skewgate.staticfiles;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * RequestPath as it was before its no-escape fast path (commit e115e4f), kept as the oracle of
 * {@link RequestPathEquivalenceTest}: the fast path must accept and refuse exactly as this did, with the same reasons.
 */
final class ReferenceRequestPath {

    public static final int MAX_LENGTH = 2048;

    /** Why a path was refused; {@code status} is 400 or 414. */
    record Refusal(int status, String reason) {
    }

    private final String path;
    private final Refusal refusal;

    private ReferenceRequestPath(String path, Refusal refusal) {
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

    static ReferenceRequestPath parse(String raw) {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') {
            return refuse(400, "the request path must start with '/'");
        }
        if (raw.length() > MAX_LENGTH) {
            return refuse(414, "the request path is longer than " + MAX_LENGTH + " characters");
        }
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
            } else if (c > 0x7e) {
                return refuse(400, "the request path has a character that is not %-encoded");
            } else {
                b = c;
            }
            if (b < 0x20 || b == 0x7f) {
                return refuse(400, "the request path has a control character");
            }
            if (b == '\\') {
                return refuse(400, "the request path has a backslash");
            }
            bytes.write(b);
        }
        String decoded;
        try {
            // A strict decoder refuses overlong forms such as %c0%ae (an overlong '.').
            decoded = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return refuse(400, "the request path is not valid UTF-8");
        }
        int start = 1;
        while (start <= decoded.length()) {
            int end = decoded.indexOf('/', start);
            if (end < 0) {
                end = decoded.length();
            }
            String segment = decoded.substring(start, end);
            if (segment.isEmpty() && end != decoded.length()) {
                return refuse(400, "the request path has an empty segment ('//')");
            }
            if (segment.equals(".") || segment.equals("..")) {
                return refuse(400, "the request path has a '" + segment + "' segment");
            }
            start = end + 1;
        }
        return new ReferenceRequestPath(decoded, null);
    }

    private static ReferenceRequestPath refuse(int status, String reason) {
        return new ReferenceRequestPath(null, new Refusal(status, reason));
    }
}
