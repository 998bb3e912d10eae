package dev.skewgate.model;

/** One file of a deployment: its path inside the build, the sha256 of its bytes, its size and media type. */
public record ManifestEntry(String path, String sha256, long size, String contentType) {
}
