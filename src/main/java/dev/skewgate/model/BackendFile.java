package dev.skewgate.model;

import java.util.Optional;

/**
 * One entry of a backend folder's manifest: a file (content-addressed like a frontend file, executable or not) or a
 * relative symbolic link that stays inside the folder ({@code node_modules/.bin/*}).
 */
public record BackendFile(String path, String sha256, long size, boolean executable, Optional<String> link) {

    public static BackendFile file(String path, String sha256, long size, boolean executable) {
        return new BackendFile(path, sha256, size, executable, Optional.empty());
    }

    public static BackendFile link(String path, String target) {
        return new BackendFile(path, "", 0, false, Optional.of(target));
    }

    public boolean isLink() {
        return link.isPresent();
    }
}
