package dev.skewgate.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with left-aligned columns, for terminals and for grep alike. */
final class Table {

    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    /** A row; cells come from the gateway, so they are cleaned of anything that would drive the terminal. */
    Table row(String... cells) {
        String[] clean = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            clean[i] = Terminal.clean(cells[i]);
        }
        rows.add(clean);
        return this;
    }

    void print(PrintWriter out) {
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], r[i] == null ? 0 : r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                String cell = r[i] == null ? "" : r[i];
                line.append(cell);
                if (i < columns - 1) {
                    line.append(" ".repeat(width[i] - cell.length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }

    /** "1 file", "2 files". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        if (n < 1024 * 1024) {
            return String.format("%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format("%.1f MiB", n / 1024.0 / 1024);
        }
        return String.format("%.1f GiB", n / 1024.0 / 1024 / 1024);
    }

    /** A length of time in its two largest units: 45s, 3m12s, 5h04m, 2d03h. */
    static String duration(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m" + String.format("%02d", seconds % 60) + "s";
        }
        if (seconds < 86400) {
            return seconds / 3600 + "h" + String.format("%02d", seconds / 60 % 60) + "m";
        }
        return seconds / 86400 + "d" + String.format("%02d", seconds / 3600 % 24) + "h";
    }

    /** An ISO instant shortened to minutes, in UTC: 2026-11-22 16:40Z. */
    static String time(String iso) {
        if (iso == null || iso.isEmpty() || iso.equals("null")) {
            return "-";
        }
        return iso.length() >= 16 ? iso.substring(0, 10) + " " + iso.substring(11, 16) + "Z" : iso;
    }
}
