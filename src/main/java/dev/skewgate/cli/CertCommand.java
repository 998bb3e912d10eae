package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skewgate cert add|list|remove}: certificate files the HTTPS listener serves (wildcards, certificates made elsewhere). */
@Command(name = "cert", mixinStandardHelpOptions = true,
        description = "Certificate files for the HTTPS listener (serve --https), picked by SNI.",
        subcommands = {CertCommand.Add.class, CertCommand.ListCerts.class, CertCommand.Renew.class,
                CertCommand.Remove.class})
public final class CertCommand {

    /** {@code skewgate cert add --host H --cert FILE --key FILE}. */
    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Serve this certificate for HOST (exact, or *.example.com). The gateway reads the files "
                    + "itself and reloads them when they change; a change it cannot use is refused and the previous "
                    + "certificate keeps serving.")
    static final class Add implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Option(names = "--host", required = true, paramLabel = "HOST", description = "Host name or *.domain.") String host;
        @Option(names = "--cert", required = true, paramLabel = "FILE",
                description = "PEM certificate chain, leaf first (fullchain.pem).") Path cert;
        @Option(names = "--key", required = true, paramLabel = "FILE", description = "PEM private key, unencrypted.")
        Path key;

        @Override
        public Integer call() {
            for (Path p : new Path[] {cert, key}) {
                if (!Files.isRegularFile(p)) {
                    throw new CliException("no such file: " + p);
                }
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("host", host);
            // Absolute: the gateway reads the files, from its own working directory
            body.put("certFile", cert.toAbsolutePath().normalize().toString());
            body.put("keyFile", key.toAbsolutePath().normalize().toString());
            JsonNode c = client.client().post("/v1/certificates", body);
            var out = spec.commandLine().getOut();
            out.println("serving " + c.path("certFile").asText() + " for " + c.path("host").asText() + " (issuer "
                    + c.path("issuer").asText() + ", expires " + c.path("notAfter").asText() + ")");
            out.flush();
            return 0;
        }
    }

    /** {@code skewgate cert list}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "The certificates served, by host.")
    static final class ListCerts implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Table table = new Table("HOST", "SOURCE", "ISSUER", "EXPIRES", "FILE", "PROBLEM");
            for (JsonNode c : client.client().get("/v1/certificates").path("certificates")) {
                String expires = c.path("notAfter").isNull() ? "-" : c.path("notAfter").asText()
                        + (c.path("expiringSoon").asBoolean() ? " (soon!)" : "");
                table.row(c.path("host").asText(), c.path("source").asText(), c.path("issuer").asText("-"), expires,
                        c.path("certFile").asText("-"), c.path("error").isNull() ? "-" : c.path("error").asText());
            }
            table.print(spec.commandLine().getOut());
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** {@code skewgate cert renew --host H}: an ACME order now. */
    @Command(name = "renew", mixinStandardHelpOptions = true,
            description = "Order a new certificate for HOST through ACME now (serve --https renews by itself at two "
                    + "thirds of the lifetime).")
    static final class Renew implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Option(names = "--host", required = true, paramLabel = "HOST") String host;

        @Override
        public Integer call() {
            JsonNode c = client.client().post("/v1/certificates/" + URLEncoder.encode(host, StandardCharsets.UTF_8)
                    + "/renew", Map.of());
            if (!c.path("error").isNull() && !c.path("error").isMissingNode()) {
                throw new CliException("the order for " + host + " failed: " + c.path("error").asText());
            }
            spec.commandLine().getOut().println("renewed " + host + " (issuer " + c.path("issuer").asText()
                    + ", expires " + c.path("notAfter").asText() + ")");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** {@code skewgate cert remove --host H}. */
    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Stop serving the certificate of HOST.")
    static final class Remove implements Callable<Integer> {
        @Mixin ClientOptions client;
        @Spec picocli.CommandLine.Model.CommandSpec spec;
        @Option(names = "--host", required = true, paramLabel = "HOST") String host;

        @Override
        public Integer call() {
            client.client().delete("/v1/certificates/" + URLEncoder.encode(host, StandardCharsets.UTF_8));
            spec.commandLine().getOut().println("removed the certificate of " + host);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }
}
