package dev.skewgate.app;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The run that {@code mvn package} records the class-data-sharing archive of (skewgate.jsa, used by
 * {@code bin/skewgate} for client commands): a few typical commands against a stand-in admin API in this JVM, so
 * the classes a client command loads (picocli, Jackson, the HTTP client, the deploy scanner) are in the archive.
 * What the commands print is dropped; the stand-in answers {@code {}} to everything.
 */
public final class CdsTraining {

    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        Path work = Files.createTempDirectory("skewgate-cds");
        Path build = Files.createDirectories(work.resolve("dist"));
        Files.writeString(build.resolve("index.html"), "<!doctype html><title>training</title>\n");
        System.setProperty("skewgate.cache.dir", work.resolve("cache").toString());
        String[] client = {"--admin-url", "http://127.0.0.1:" + server.getAddress().getPort(), "--token", "training"};
        PrintWriter none = new PrintWriter(Writer.nullWriter());
        try {
            Main.run(none, none, with(new String[] {"site", "list"}, client));
            Main.run(none, none, with(new String[] {"status", "training"}, client));
            Main.run(none, none, with(new String[] {"deploy", build.toString(), "--site", "training"}, client));
            Main.run(none, none, "--help");
        } finally {
            server.stop(0);
            try (var files = Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        System.exit(0);
    }

    private static String[] with(String[] command, String[] options) {
        String[] all = java.util.Arrays.copyOf(command, command.length + options.length);
        System.arraycopy(options, 0, all, command.length, options.length);
        return all;
    }
}
