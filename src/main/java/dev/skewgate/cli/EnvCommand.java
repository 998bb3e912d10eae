package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code skewgate env set|unset|list}: a site's server-side environment; values are never printed. */
@Command(name = "env", mixinStandardHelpOptions = true,
        description = "Set, unset and list a site's server-side environment (secrets for its backends; stored "
                + "encrypted, never served to browsers, values never shown).",
        subcommands = {EnvCommand.Set.class, EnvCommand.Unset.class, EnvCommand.ListKeys.class})
public final class EnvCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code skewgate env set SITE KEY=VALUE... [--from-file PATH]}. */
    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Set keys from KEY=VALUE pairs and/or a dotenv file (the pairs win). Values are plain "
                    + "strings. Prefer --from-file for secrets: arguments end up in shell history.")
    static final class Set implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String site;
        @Parameters(index = "1..*", arity = "0..*", description = "KEY=VALUE pairs.") List<String> pairs = new ArrayList<>();
        @Option(names = "--from-file", paramLabel = "PATH",
                description = "A dotenv file: KEY=VALUE lines, # comments, optional 'export ', quotes stripped; "
                        + "at most 64 KiB.") Path file;

        @Override
        public Integer call() {
            Map<String, String> set = new LinkedHashMap<>();
            if (file != null) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(file);
                } catch (IOException e) {
                    throw new CliException("cannot read " + file + ": " + e.getMessage());
                }
                set.putAll(DotEnv.parse(bytes, file.toString()));
            }
            for (int n = 0; n < pairs.size(); n++) {
                String pair = pairs.get(n);
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    // Its position, never its text: a value pasted without its KEY= is a secret.
                    throw new CliException("argument " + (n + 1) + " after the site is not KEY=VALUE (nothing was "
                            + "changed)");
                }
                set.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
            if (set.isEmpty()) {
                throw new CliException("nothing to set: give KEY=VALUE pairs or --from-file PATH");
            }
            ObjectNode body = JSON.createObjectNode();
            ObjectNode values = body.putObject("set");
            set.forEach(values::put);
            report(spec, "set " + String.join(", ", set.keySet()),
                    client.client().patch("/v1/sites/" + site + "/env", body));
            return 0;
        }
    }

    /** {@code skewgate env unset SITE KEY...}. */
    @Command(name = "unset", mixinStandardHelpOptions = true, description = "Remove keys (absent ones are ignored).")
    static final class Unset implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String site;
        @Parameters(index = "1..*", arity = "1..*", description = "Keys.") List<String> keys;

        @Override
        public Integer call() {
            ObjectNode body = JSON.createObjectNode();
            keys.forEach(body.putArray("unset")::add);
            report(spec, "unset " + String.join(", ", keys), client.client().patch("/v1/sites/" + site + "/env", body));
            return 0;
        }
    }

    /** {@code skewgate env list SITE}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the keys (values masked).")
    static final class ListKeys implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", description = "Site name.") String site;

        @Override
        public Integer call() {
            JsonNode answer = client.client().get("/v1/sites/" + site + "/env");
            var out = spec.commandLine().getOut();
            if (answer.path("keys").isEmpty()) {
                out.println("site " + site + " has no server-side environment (revision "
                        + answer.path("revision").asLong() + ")");
            } else {
                Table table = new Table("NAME", "VALUE", "LENGTH");
                answer.path("keys").forEach(k -> table.row(k.path("name").asText(), k.path("value").asText(),
                        k.path("length").asText()));
                table.print(out);
                out.println("(revision " + answer.path("revision").asLong() + ")");
            }
            out.flush();
            return 0;
        }
    }

    private static void report(picocli.CommandLine.Model.CommandSpec spec, String what, JsonNode answer) {
        var out = spec.commandLine().getOut();
        out.println(Terminal.clean(what) + ": env of revision " + answer.path("revision").asLong() + ", "
                + answer.path("keys").size() + " key(s). Backends Skewgate runs get it on their next deployment, or now with "
                + "'skewgate restart SITE DEPLOYMENT'.");
        out.flush();
    }
}
