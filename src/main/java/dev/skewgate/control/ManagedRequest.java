package dev.skewgate.control;

import dev.skewgate.model.BackendDefaults;
import dev.skewgate.model.BackendFile;
import java.util.List;
import java.util.Map;

/**
 * What a deploy asks for a backend it brings as a folder, before the site's defaults fill what it leaves out:
 * the settings it gives, the folder's manifest, and its own environment (from --env-file).
 */
public record ManagedRequest(BackendDefaults asked, List<BackendFile> files, Map<String, String> env) {

    public ManagedRequest {
        files = List.copyOf(files);
        env = Map.copyOf(env);
    }
}
