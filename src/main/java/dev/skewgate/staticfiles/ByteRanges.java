package dev.skewgate.staticfiles;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code Range: bytes=...} header of RFC 9110 §14.1.2, resolved against a representation's length. Too many
 * ranges, or ranges that overlap, are ignored as §14.2 allows (the whole representation is sent instead): they are
 * how a client makes a server do much work for little data.
 */
public final class ByteRanges {

    public static final int MAX_RANGES = 16;

    /** One inclusive byte range. */
    public record Range(long first, long last) {
        public long length() {
            return last - first + 1;
        }
    }

    /** What to do with a Range header. */
    public sealed interface Outcome permits Ignore, Satisfiable, Unsatisfiable {
    }

    /** Send the whole representation with 200. */
    public record Ignore() implements Outcome {
    }

    /** Send these ranges with 206. */
    public record Satisfiable(List<Range> ranges) implements Outcome {
    }

    /** Answer 416 with {@code Content-Range: bytes * /length}. */
    public record Unsatisfiable() implements Outcome {
    }

    private ByteRanges() {
    }

    public static Outcome parse(String header, long length) {
        if (header == null || !header.regionMatches(true, 0, "bytes=", 0, 6)) {
            return new Ignore();
        }
        String[] specs = header.substring(6).split(",", -1);
        if (specs.length > MAX_RANGES) {
            return new Ignore();
        }
        List<Range> ranges = new ArrayList<>();
        boolean anyValid = false;
        for (String spec : specs) {
            Optional<Optional<Range>> parsed = parseOne(spec.trim(), length);
            if (parsed.isEmpty()) {
                return new Ignore(); // syntactically invalid: RFC 9110 says ignore the header
            }
            if (parsed.get().isPresent()) {
                anyValid = true;
                ranges.add(parsed.get().get());
            }
        }
        if (!anyValid) {
            return new Unsatisfiable();
        }
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort((a, b) -> Long.compare(a.first(), b.first()));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).first() <= sorted.get(i - 1).last()) {
                return new Ignore();
            }
        }
        return new Satisfiable(List.copyOf(ranges));
    }

    /** Empty when malformed; an empty inner value when well formed but outside the representation. */
    private static Optional<Optional<Range>> parseOne(String spec, long length) {
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return Optional.empty();
        }
        String a = spec.substring(0, dash).trim();
        String b = spec.substring(dash + 1).trim();
        try {
            if (a.isEmpty()) {
                if (b.isEmpty()) {
                    return Optional.empty();
                }
                long suffix = Long.parseLong(b);
                if (suffix < 0) {
                    return Optional.empty();
                }
                if (suffix == 0 || length == 0) {
                    return Optional.of(Optional.empty());
                }
                return Optional.of(Optional.of(new Range(Math.max(0, length - suffix), length - 1)));
            }
            long first = Long.parseLong(a);
            if (first < 0) {
                return Optional.empty();
            }
            if (b.isEmpty()) {
                return Optional.of(first >= length ? Optional.empty() : Optional.of(new Range(first, length - 1)));
            }
            long last = Long.parseLong(b);
            if (last < first) {
                return Optional.empty();
            }
            if (first >= length) {
                return Optional.of(Optional.empty());
            }
            return Optional.of(Optional.of(new Range(first, Math.min(last, length - 1))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
