package dev.skewgate.control;

import java.util.Optional;

/** What a deploy says about itself: a message, the commit it was built from, and who sent it. */
public record DeploymentMeta(String message, Optional<String> gitSha, String author) {
}
