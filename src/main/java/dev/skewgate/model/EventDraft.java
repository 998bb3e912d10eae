package dev.skewgate.model;

import java.time.Instant;
import java.util.Optional;

/** An audit event about to be written in the same transaction as the change it records; the store numbers it. */
public record EventDraft(String type, Optional<String> deployment, Optional<String> previous, String actor,
                         Instant at, String detail) {

    public static EventDraft of(String type, String actor, Instant at, String detail) {
        return new EventDraft(type, Optional.empty(), Optional.empty(), actor, at, detail);
    }

    public static EventDraft about(String type, String deployment, String actor, Instant at, String detail) {
        return new EventDraft(type, Optional.of(deployment), Optional.empty(), actor, at, detail);
    }
}
