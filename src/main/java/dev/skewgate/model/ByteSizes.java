package dev.skewgate.model;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as people write them: {@code 512M}, {@code 1G}, {@code 800K}, or plain bytes (binary units, like PM2's). */
public final class ByteSizes {

    private static final Pattern SHAPE = Pattern.compile("(\\d{1,12})\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);

    private ByteSizes() {
    }

    public static long parse(String text) {
        Matcher m = SHAPE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new InvalidRequestException("INVALID_SIZE", "'" + text + "' is not a size; write it like 512M or 1G");
        }
        long n = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        if (n > (Long.MAX_VALUE >> shift)) {
            throw new InvalidRequestException("INVALID_SIZE", "'" + text + "' is too large");
        }
        return n << shift;
    }

    /** The largest whole binary unit: 536870912 -> "512M", 1000 -> "1000". */
    public static String format(long bytes) {
        String[] units = {"T", "G", "M", "K"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0) {
                return (bytes / unit) + units[i];
            }
        }
        return Long.toString(bytes);
    }
}
