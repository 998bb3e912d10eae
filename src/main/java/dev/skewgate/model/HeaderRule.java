package dev.skewgate.model;

import java.util.Map;

/** A per-site rule: response headers added to (or replacing those of) every file whose path matches the glob. */
public record HeaderRule(String glob, Map<String, String> headers) {

    public HeaderRule {
        headers = Map.copyOf(headers);
    }
}
