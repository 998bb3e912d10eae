package dev.skewgate.staticfiles;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Path-traversal and encoding variants: each is either a plain manifest key or refused before any lookup. */
class RequestPathTest {

    @ParameterizedTest(name = "{0} -> {1} ({2})")
    @CsvSource(delimiter = '|', textBlock = """
            /index.html                   | /index.html        | plain file
            /                             | /                  | root
            /docs/                        | /docs/             | trailing slash kept for the directory index
            /assets/a%20b.js              | /assets/a b.js     | percent-encoded space decoded once
            /%E2%82%AC.txt                | /€.txt             | valid UTF-8 decoded
            /a;b.js                       | /a;b.js            | ';' is an ordinary character, not a path parameter
            /%252e%252e/x                 | /%2e%2e/x          | double encoding decodes only once (a literal name)
            """)
    void acceptsPlainPaths(String raw, String decoded, String why) {
        RequestPath p = RequestPath.parse(raw);
        assertThat(p.refusal()).as(why).isEmpty();
        assertThat(p.path()).contains(decoded);
    }

    @ParameterizedTest(name = "{0} -> {1} ({2})")
    @CsvSource(delimiter = '|', textBlock = """
            /../etc/passwd              | 400 | dot-dot segment
            /assets/../../secret        | 400 | nested dot-dot
            /%2e%2e/secret              | 400 | encoded dot-dot
            /%2E%2e/secret              | 400 | mixed-case encoded dot-dot
            /./index.html               | 400 | dot segment
            /..                         | 400 | trailing dot-dot
            /a%2fb                      | 400 | encoded slash
            /a%2F..%2Fb                 | 400 | encoded slash around dot-dot
            /a%5cb                      | 400 | encoded backslash
            /a\\b                       | 400 | raw backslash
            /index.html%00.txt          | 400 | encoded NUL
            /a%0ab                      | 400 | encoded line feed
            /a//b                       | 400 | empty segment
            //etc/passwd                | 400 | leading double slash
            /%c0%ae%c0%ae/x             | 400 | overlong UTF-8 dot
            /%c0%af                     | 400 | overlong UTF-8 slash
            /%e0%80%af                  | 400 | three-byte overlong slash
            /%ff                        | 400 | invalid UTF-8 byte
            /%2                         | 400 | truncated escape
            /%zz                        | 400 | invalid escape
            x/index.html                | 400 | not starting with a slash
            """)
    void refusesTraversalAndAmbiguousEncodings(String raw, int status, String why) {
        RequestPath p = RequestPath.parse(raw);
        assertThat(p.path()).as(why).isEmpty();
        assertThat(p.refusal()).as(why).get().extracting(RequestPath.Refusal::status).isEqualTo(status);
    }

    @org.junit.jupiter.api.Test
    void refusesOverLongPathsWith414() {
        RequestPath p = RequestPath.parse("/" + "a".repeat(RequestPath.MAX_LENGTH));
        assertThat(p.refusal()).get().extracting(RequestPath.Refusal::status).isEqualTo(414);
    }
}
