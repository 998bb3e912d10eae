package dev.skewgate.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The head rules and the chunked decoder as tables: one row per case, with the RFC reason. */
class RequestHeadRulesTest {

    private static HttpRequest head(String target, String... headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, target);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private static int status(HttpRequest r) {
        return RequestHeadRules.check(r).map(FramingException::status).orElse(200);
    }

    @ParameterizedTest(name = "Transfer-Encoding: {0} (CL {1}) -> {2}: {3}")
    @CsvSource(delimiter = '|', textBlock = """
            chunked            | false | 200 | the one accepted coding
            Chunked            | false | 200 | coding names are case-insensitive
            'chunked, '        | false | 200 | empty list elements are ignored
            chunked            | true  | 400 | with Content-Length, whatever the coding (6.1)
            identity           | true  | 400 | with Content-Length
            ''                 | true  | 400 | an empty value with Content-Length
            ''                 | false | 400 | an empty value
            gzip               | false | 400 | final coding not chunked (6.3)
            xchunked           | false | 400 | final coding not chunked, however close
            'chunked, identity'| false | 400 | final coding not chunked: never decoded as chunked
            'chunked, chunked' | false | 400 | chunked applied twice (7.1)
            'gzip, chunked'    | false | 501 | a coding the gateway does not decode (6.1)
            """)
    void transferCodings(String te, boolean contentLength, int expected, String why) {
        HttpRequest r = contentLength ? head("/api/x", "Host", "a.test", "Transfer-Encoding", te, "Content-Length", "5")
                : head("/api/x", "Host", "a.test", "Transfer-Encoding", te);
        assertThat(status(r)).as(why).isEqualTo(expected);
    }

    @Test
    void transferEncodingInAnHttp10RequestIsRefused() {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.POST, "/api/x");
        r.headers().add("Host", "a.test").add("Transfer-Encoding", "chunked");
        assertThat(status(r)).isEqualTo(400);
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            /api/x               | false | a plain path
            /api/v1..2/x         | false | dots inside a name
            /api/...             | false | three dots is a name
            /api/%2e%2e%2e       | false | three encoded dots is a name
            /api/x?a=/../b       | false | the query is not the path
            /api/../x            | true  | dot-dot
            /api/./x             | true  | dot
            /api/x/..            | true  | trailing dot-dot
            /api/%2e%2e/x        | true  | encoded dot-dot
            /api/.%2E/x          | true  | half encoded
            /api/..%2fx          | true  | dot-dot before an encoded slash
            /api/..%5Cx          | true  | dot-dot before an encoded backslash
            /api/..\\x           | true  | dot-dot before a backslash
            """)
    void dotSegments(String path, boolean refused, String why) {
        assertThat(RequestHeadRules.hasDotSegment(path)).as(why).isEqualTo(refused);
    }

    @Test
    void hostRules() {
        assertThat(status(head("/x"))).as("no Host").isEqualTo(400);
        assertThat(status(head("/x", "Host", ""))).as("empty Host").isEqualTo(400);
        assertThat(status(head("/x", "Host", "a.test", "Host", "b.test"))).as("two Host headers").isEqualTo(400);
        assertThat(status(head("/x", "Host", "a b"))).as("invalid Host").isEqualTo(400);
        assertThat(status(head("/x", "Host", "a.test:8080"))).isEqualTo(200);
    }

    @Test
    void anAbsoluteFormTargetIsRoutedByItsAuthorityAndForwardedInOriginForm() {
        HttpRequest r = head("http://shop.test/api/x?q=1", "Host", "other.test");
        assertThat(RequestHeadRules.check(r)).isEmpty();
        assertThat(r.uri()).isEqualTo("/api/x?q=1");
        assertThat(r.headers().get("Host")).isEqualTo("shop.test");
        HttpRequest bare = head("http://shop.test", "Host", "shop.test");
        assertThat(RequestHeadRules.check(bare)).isEmpty();
        assertThat(bare.uri()).isEqualTo("/");
        assertThat(status(head("http://user:pw@shop.test/x", "Host", "shop.test"))).as("userinfo").isEqualTo(400);
        assertThat(status(head("http:///x", "Host", "shop.test"))).as("no authority").isEqualTo(400);
        assertThat(status(head("shop.test:80", "Host", "shop.test"))).as("authority-form").isEqualTo(400);
        assertThat(status(head("/x#frag", "Host", "shop.test"))).as("fragment").isEqualTo(400);
    }

    @ParameterizedTest(name = "{0} -> {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            '5\\r\\nhello\\r\\n0\\r\\n\\r\\n'                      | hello | a plain chunk
            '05\\r\\nhello\\r\\n0\\r\\n\\r\\n'                     | hello | a leading zero
            '5;a=b\\r\\nhello\\r\\n0\\r\\n\\r\\n'                  | hello | a token extension (7.1.1)
            '5 ; a = "x;y"\\r\\nhello\\r\\n0\\r\\n\\r\\n'          | hello | a quoted extension with BWS
            '5\\r\\nhello\\r\\n0\\r\\nX-T: 1\\r\\n\\r\\n'          | hello | a trailer field, dropped
            '10000000000000005\\r\\nhello\\r\\n0\\r\\n\\r\\n'      | 400   | over 64 bits, never read modulo 2^64
            '80000000\\r\\nhello\\r\\n0\\r\\n\\r\\n'               | 400   | over 2^31-1
            ' 5\\r\\nhello\\r\\n0\\r\\n\\r\\n'                     | 400   | leading whitespace
            '5 \\r\\nhello\\r\\n0\\r\\n\\r\\n'                     | 400   | trailing whitespace without an extension
            '0x5\\r\\nhello\\r\\n0\\r\\n\\r\\n'                    | 400   | not hex digits only
            '5\\nhello\\r\\n0\\r\\n\\r\\n'                         | 400   | a bare LF
            '5\\r\\nhelloXX0\\r\\n\\r\\n'                          | 400   | data not followed by CRLF
            '5;=b\\r\\nhello\\r\\n0\\r\\n\\r\\n'                   | 400   | an extension without a name
            '5;a="open\\r\\nhello\\r\\n0\\r\\n\\r\\n'              | 400   | an unterminated quoted string
            '5\\r\\nhello\\r\\n0\\r\\n bad\\r\\n\\r\\n'            | 400   | an obs-folded trailer
            """)
    void chunkedBodies(String wire, String expected, String why) {
        ByteBuf in = Unpooled.copiedBuffer(wire.replace("\\r", "\r").replace("\\n", "\n"), StandardCharsets.ISO_8859_1);
        List<Object> out = new ArrayList<>();
        Optional<FramingException> refused = Optional.empty();
        boolean ended = false;
        try {
            ended = new ChunkedBody(8192, 16 * 1024).decode(in, out);
        } catch (FramingException e) {
            refused = Optional.of(e);
        }
        StringBuilder body = new StringBuilder();
        for (Object o : out) {
            if (o instanceof HttpContent c && o != LastHttpContent.EMPTY_LAST_CONTENT) {
                body.append(c.content().toString(StandardCharsets.ISO_8859_1));
                c.release();
            }
        }
        if (expected.equals("400")) {
            assertThat(refused).as(why).isPresent();
        } else {
            assertThat(refused).as(why).isEmpty();
            assertThat(ended).isTrue();
            assertThat(body.toString()).isEqualTo(expected);
            assertThat(in.readableBytes()).as("nothing after the body is consumed").isZero();
        }
        in.release();
    }
}
