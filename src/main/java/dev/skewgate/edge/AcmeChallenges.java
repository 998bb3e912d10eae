package dev.skewgate.edge;

import java.util.Optional;

/** The answers to ACME HTTP-01 challenges (RFC 8555 §8.3) the certificate manager is waiting on, by token. */
public interface AcmeChallenges {

    String PREFIX = "/.well-known/acme-challenge/";

    AcmeChallenges NONE = token -> Optional.empty();

    /** The key authorization to answer for {@code token}, while its challenge is pending. */
    Optional<String> answer(String token);
}
