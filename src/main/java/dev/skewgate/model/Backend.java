package dev.skewgate.model;

import java.util.List;

/**
 * The API servers a deployment's frontend was built against: one or more upstream origins
 * ({@code http://127.0.0.1:9001}) and the path that answers 2xx when they are ready.
 */
public record Backend(List<String> upstreams, String healthPath) {

    public Backend {
        upstreams = List.copyOf(upstreams);
    }
}
