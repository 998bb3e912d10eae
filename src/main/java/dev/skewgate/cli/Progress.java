package dev.skewgate.cli;

import java.io.PrintWriter;

/** Upload progress: a redrawn bar on a terminal, a line per quarter otherwise (logs, CI). */
final class Progress {

    private final PrintWriter out;
    private final boolean terminal;
    private final int totalFiles;
    private final long totalBytes;
    private int files;
    private long bytes;
    private int lastQuarter = -1;

    Progress(PrintWriter out, boolean terminal, int totalFiles, long totalBytes) {
        this.out = out;
        this.terminal = terminal;
        this.totalFiles = totalFiles;
        this.totalBytes = totalBytes;
    }

    synchronized void advance(long size) {
        files++;
        bytes += size;
        int percent = totalBytes == 0 ? 100 : (int) (bytes * 100 / totalBytes);
        if (terminal) {
            int filled = percent / 4;
            out.print("\r[" + "#".repeat(filled) + ".".repeat(25 - filled) + "] " + percent + "%  " + files + "/"
                    + totalFiles + " files  " + Table.bytes(bytes) + " / " + Table.bytes(totalBytes) + "   ");
            if (files == totalFiles) {
                out.println();
            }
            out.flush();
        } else {
            int quarter = percent / 25;
            if (quarter != lastQuarter || files == totalFiles) {
                lastQuarter = quarter;
                out.println("uploaded " + files + "/" + Table.count(totalFiles, "file") + " (" + Table.bytes(bytes) + ", " + percent + "%)");
                out.flush();
            }
        }
    }
}
