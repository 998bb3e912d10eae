package dev.skewgate.cli;

import java.io.FilterWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;

/**
 * What the CLI prints that came from outside (the gateway's answers, webhook messages, hosts, errors) must not drive
 * the terminal: control characters (C0 but newline and tab, DEL, C1 — ESC sequences retitle windows, move the cursor,
 * recolour or hide text) and bidirectional overrides are replaced with {@code ?}. Every command's output and error
 * writer goes through {@link #safe}; table cells also lose newlines and tabs through {@link #clean}.
 */
public final class Terminal {

    private Terminal() {
    }

    /** The text with every control or bidi-override character, newlines and tabs included, replaced by {@code ?}. */
    public static String clean(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (unsafe(c, false)) {
                if (out == null) {
                    out = new StringBuilder(text.length()).append(text, 0, i);
                }
                out.append('?');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    static boolean unsafe(char c, boolean keepLineBreaks) {
        if (keepLineBreaks && (c == '\n' || c == '\t')) {
            return false;
        }
        return c < 0x20 || c >= 0x7f && c <= 0x9f
                || c == '\u200e' || c == '\u200f' || c >= '\u202a' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069';
    }

    /** A writer that keeps newlines and tabs and replaces every other control character. */
    public static PrintWriter safe(PrintWriter out) {
        if (out instanceof Safe) {
            return out;
        }
        return new Safe(out);
    }

    /**
     * The writer under a safe one, for the one caller that draws on the terminal itself (the progress bar's
     * carriage return); it must only print text the CLI made.
     */
    static PrintWriter raw(PrintWriter out) {
        return out instanceof Safe s ? s.raw : out;
    }

    private static final class Safe extends PrintWriter {
        final PrintWriter raw;

        Safe(PrintWriter raw) {
            super(new FilterWriter(raw) {
                @Override
                public void write(int c) throws IOException {
                    super.write(unsafe((char) c, true) ? '?' : c);
                }

                @Override
                public void write(char[] buf, int off, int len) throws IOException {
                    char[] copy = new char[len];
                    for (int i = 0; i < len; i++) {
                        char c = buf[off + i];
                        copy[i] = unsafe(c, true) ? '?' : c;
                    }
                    super.write(copy, 0, len);
                }

                @Override
                public void write(String str, int off, int len) throws IOException {
                    write(str.toCharArray(), off, len);
                }
            }, true);
            this.raw = raw;
        }

        @Override
        public void println() {
            // PrintWriter's line separator would be written through the filter: fine on Unix; \r\n becomes ?\n on
            // Windows, so write a plain newline.
            write('\n');
            flush();
        }
    }
}
