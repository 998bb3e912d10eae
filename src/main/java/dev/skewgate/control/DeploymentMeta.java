package dev.skewgate.control;

import dev.skewgate.model.Backend;
import java.util.Optional;

/** What a deploy says about itself: a message, the commit it was built from, who sent it, and its backend. */
public record DeploymentMeta(String message, Optional<String> gitSha, String author, Optional<Backend> backend) {
}
