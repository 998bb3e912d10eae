package dev.skewgate.model;

import java.util.List;
import java.util.Optional;

/**
 * The API servers a deployment's frontend was built against: either upstream origins someone else runs
 * ({@code http://127.0.0.1:9001}), or processes the gateway runs itself from the deployment's backend folder
 * ({@link ManagedBackend}, no upstreams: their loopback ports are chosen at start); and the path that answers 2xx when
 * they are ready.
 */
public record Backend(List<String> upstreams, String healthPath, Optional<ManagedBackend> managed) {

    public Backend {
        upstreams = List.copyOf(upstreams);
    }

    public Backend(List<String> upstreams, String healthPath) {
        this(upstreams, healthPath, Optional.empty());
    }

    public static Backend managed(ManagedBackend spec, String healthPath) {
        return new Backend(List.of(), healthPath, Optional.of(spec));
    }

    public boolean isManaged() {
        return managed.isPresent();
    }
}
