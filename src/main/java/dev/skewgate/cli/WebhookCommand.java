package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate webhook rotate SITE}: a new secret for the deploy webhook ({@code POST /_skewgate/notify}). */
@Command(name = "webhook", mixinStandardHelpOptions = true, description = "Manage the deploy webhook for frontends hosted elsewhere.",
        subcommands = {WebhookCommand.Rotate.class})
public final class WebhookCommand {

    /** {@code skewgate webhook rotate SITE}. */
    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = "Create a new webhook secret; the previous one stays valid until the next rotation.")
    static final class Rotate implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String site;

        @Override
        public Integer call() {
            JsonNode answer = client.client().post("/v1/sites/" + site + "/webhook-secrets", Map.of());
            var out = spec.commandLine().getOut();
            out.println(answer.path("secret").asText());
            out.println("(shown once; sign deliveries as X-Skewgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">)");
            out.flush();
            return 0;
        }
    }
}
