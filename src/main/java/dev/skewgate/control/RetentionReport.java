package dev.skewgate.control;

import java.util.List;

/** What one retention pass did. */
public record RetentionReport(List<String> retired, List<String> purged, List<String> abandoned, int blobsDeleted) {
}
