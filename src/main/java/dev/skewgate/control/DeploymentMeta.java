package dev.skewgate.control;

import dev.skewgate.model.Backend;
import java.util.Optional;

/**
 * What a deploy says about itself: a message, the commit it was built from, who sent it, and its backend: either one
 * running elsewhere ({@code backend}) or one it brings as a folder for the gateway to run ({@code managed}).
 */
public record DeploymentMeta(String message, Optional<String> gitSha, String author, Optional<Backend> backend,
                             Optional<ManagedRequest> managed) {

    public DeploymentMeta(String message, Optional<String> gitSha, String author, Optional<Backend> backend) {
        this(message, gitSha, author, backend, Optional.empty());
    }
}
