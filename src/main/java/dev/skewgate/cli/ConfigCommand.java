package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate config get|set|unset|put}: a site's runtime config, outside every bundle. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Read and change a site's runtime config (served to browsers; no rebuild needed).",
        subcommands = {ConfigCommand.Get.class, ConfigCommand.Set.class, ConfigCommand.Unset.class, ConfigCommand.Put.class})
public final class ConfigCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code skewgate config get SITE}. */
    @Command(name = "get", mixinStandardHelpOptions = true, description = "Print the config as JSON.")
    static final class Get implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String site;

        @Override
        public Integer call() throws IOException {
            JsonNode answer = client.client().get("/v1/sites/" + site + "/config");
            var out = spec.commandLine().getOut();
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(answer.path("config")));
            out.println("(revision " + answer.path("revision").asLong() + ")");
            out.flush();
            return 0;
        }
    }

    /** {@code skewgate config set SITE KEY=VALUE...}. */
    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Set keys. VALUE is read as JSON when it is a number, true/false/null, an object, an array or a "
                    + "quoted string; anything else is a plain string.")
    static final class Set implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String site;
        @Parameters(index = "1..*", arity = "1..*", description = "KEY=VALUE pairs.") List<String> pairs;
        @Option(names = "--force", description = "Allow keys that look like secrets (the config is public).") boolean force;

        @Override
        public Integer call() {
            ObjectNode patch = JSON.createObjectNode();
            for (String pair : pairs) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new CliException("'" + pair + "' is not KEY=VALUE");
                }
                patch.set(pair.substring(0, eq), value(pair.substring(eq + 1)));
            }
            report(spec, client.client().patch("/v1/sites/" + site + "/config" + (force ? "?force=true" : ""), patch));
            return 0;
        }
    }

    /** {@code skewgate config unset SITE KEY...}. */
    @Command(name = "unset", mixinStandardHelpOptions = true, description = "Remove keys.")
    static final class Unset implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String site;
        @Parameters(index = "1..*", arity = "1..*", description = "Keys.") List<String> keys;

        @Override
        public Integer call() {
            ObjectNode patch = JSON.createObjectNode();
            keys.forEach(k -> patch.putNull(k));
            report(spec, client.client().patch("/v1/sites/" + site + "/config", patch));
            return 0;
        }
    }

    /** {@code skewgate config put SITE FILE}. */
    @Command(name = "put", mixinStandardHelpOptions = true, description = "Replace the whole config with a JSON file.")
    static final class Put implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String site;
        @Parameters(index = "1", description = "A file holding a JSON object.") Path file;
        @Option(names = "--force", description = "Allow keys that look like secrets (the config is public).") boolean force;

        @Override
        public Integer call() {
            JsonNode config;
            try {
                config = JSON.readTree(Files.readAllBytes(file));
            } catch (IOException e) {
                throw new CliException("cannot read " + file + " as JSON: " + e.getMessage());
            }
            report(spec, client.client().put("/v1/sites/" + site + "/config" + (force ? "?force=true" : ""), config));
            return 0;
        }
    }

    static JsonNode value(String raw) {
        try {
            JsonNode parsed = JSON.readTree(raw);
            if (parsed != null && !parsed.isMissingNode()) {
                return parsed;
            }
        } catch (IOException e) {
            // not JSON: a plain string
        }
        return JSON.getNodeFactory().textNode(raw);
    }

    private static void report(picocli.CommandLine.Model.CommandSpec spec, JsonNode answer) {
        spec.commandLine().getOut().println("config of revision " + answer.path("revision").asLong()
                + " is live; open tabs are told now");
        spec.commandLine().getOut().flush();
    }
}
