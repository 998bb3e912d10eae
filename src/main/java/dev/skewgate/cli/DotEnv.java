package dev.skewgate.cli;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a dotenv file: {@code KEY=VALUE} lines, blank lines and {@code #} comment lines, an optional leading
 * {@code export }, and one pair of matching quotes around a value stripped. No escapes, no expansion, no inline
 * comments (a {@code #} inside a value is part of it). Errors name the line number, never its content.
 */
final class DotEnv {

    /** As large as the whole env may be on the gateway; a bigger file cannot fit. */
    static final int MAX_BYTES = 64 * 1024;

    private DotEnv() {
    }

    static Map<String, String> parse(byte[] bytes, String source) {
        if (bytes.length > MAX_BYTES) {
            throw new CliException(source + " is " + bytes.length + " bytes; an env file may be at most " + MAX_BYTES
                    + " bytes (64 KiB)");
        }
        Map<String, String> out = new LinkedHashMap<>();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).stripLeading();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new CliException(source + " line " + (i + 1) + " is not KEY=VALUE");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                    && value.charAt(value.length() - 1) == value.charAt(0)) {
                value = value.substring(1, value.length() - 1);
            }
            out.put(key, value);
        }
        return out;
    }
}
