package dev.skewgate.policy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * Puts the gateway's tags (meta tags, the SDK's script tag) into an HTML entry point at serve time: right after
 * the opening {@code <head>}, else before {@code <body>}, else at the very start. Only tags are added, never an
 * inline script, so a strict Content-Security-Policy keeps working.
 */
public final class HtmlInjector {

    private HtmlInjector() {
    }

    /** A {@code <meta name=... content=...>} tag with both values escaped for an attribute. */
    public static String meta(String name, String content) {
        return "<meta name=\"" + escape(name) + "\" content=\"" + escape(content) + "\">";
    }

    public static byte[] inject(byte[] html, List<String> tags) {
        if (tags.isEmpty()) {
            return html;
        }
        // ISO-8859-1 maps bytes 1:1, so offsets found here are byte offsets whatever the document's encoding.
        String lower = new String(html, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        int at = afterOpenTag(lower, "<head");
        if (at < 0) {
            at = lower.indexOf("<body");
        }
        if (at < 0) {
            at = afterOpenTag(lower, "<html");
        }
        if (at < 0) {
            at = 0;
        }
        byte[] insert = String.join("", tags).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(html.length + insert.length);
        out.write(html, 0, at);
        out.write(insert, 0, insert.length);
        out.write(html, at, html.length - at);
        return out.toByteArray();
    }

    private static int afterOpenTag(String lower, String open) {
        int from = 0;
        while (true) {
            int i = lower.indexOf(open, from);
            if (i < 0) {
                return -1;
            }
            int next = i + open.length();
            if (next < lower.length() && (lower.charAt(next) == '>' || Character.isWhitespace(lower.charAt(next)))) {
                int close = lower.indexOf('>', next);
                return close < 0 ? -1 : close + 1;
            }
            from = next; // "<header" is not "<head"
        }
    }

    static String escape(String value) {
        return value.replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
