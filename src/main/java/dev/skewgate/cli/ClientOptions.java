package dev.skewgate.cli;

import dev.skewgate.model.DataLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * How a CLI command reaches the admin API: {@code --admin-url} and {@code --token} (or their environment variables)
 * for remote use; on the gateway's own machine the token is read from the data directory's {@code admin-token}.
 */
public final class ClientOptions {

    @Option(names = "--admin-url", defaultValue = "${env:SKEWGATE_ADMIN_URL:-http://127.0.0.1:8081}",
            description = "Admin API address. Env SKEWGATE_ADMIN_URL. Default: ${DEFAULT-VALUE}")
    String adminUrl;

    @Option(names = "--token", defaultValue = "${env:SKEWGATE_TOKEN}",
            description = "Admin token. Env SKEWGATE_TOKEN. Default: read from <data-dir>/admin-token")
    String token;

    @Option(names = "--data-dir", defaultValue = "${env:SKEWGATE_DATA_DIR:-./skewgate-data}",
            description = "Where to find the admin token when --token is not given. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    AdminClient client() {
        return new AdminClient(adminUrl, resolveToken());
    }

    private String resolveToken() {
        if (token != null && !token.isBlank()) {
            return token.trim();
        }
        Path file = dataDir.resolve(DataLayout.ADMIN_TOKEN_FILE);
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new CliException("no admin token: pass --token, set SKEWGATE_TOKEN, or run this on the gateway's "
                    + "machine from the folder holding its data directory (looked for " + file.toAbsolutePath() + ")");
        }
    }
}
