package dev.skewgate.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A tiny API in two incompatible versions, run by the gateway itself as each demo deployment's managed backend
 * ({@code java -cp skewgate.jar dev.skewgate.demo.DemoApi 1}): v1 answers {@code {"message": ...}}, v2 answers
 * {@code {"greeting": {"text": ...}}}. A v1 frontend talking to the v2 API shows "undefined": the skew this gateway
 * prevents. It uses the JDK's own HTTP server so that its process needs nothing but this one class.
 */
public final class DemoApi {

    private DemoApi() {
    }

    /** {@code DemoApi 1|2}: serves that version on 127.0.0.1:$PORT until SIGTERM. */
    public static void main(String[] args) throws IOException {
        int version = args.length == 1 && args[0].equals("2") ? 2 : 1;
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "0"));
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.createContext("/", exchange -> answer(exchange, version));
        server.start();
        System.out.println("demo API v" + version + " of deployment " + System.getenv("SKEWGATE_DEPLOYMENT")
                + " listening on 127.0.0.1:" + server.getAddress().getPort());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("demo API v" + version + ": SIGTERM, stopping");
            server.stop(0);
        }));
    }

    private static void answer(HttpExchange exchange, int version) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String body;
            if (path.equals("/api/health")) {
                body = "ok";
            } else if (path.equals("/api/greeting")) {
                body = version == 1
                        ? "{\"message\":\"Hello from API v1\"}"
                        : "{\"greeting\":{\"text\":\"Hello from API v2\"},\"apiVersion\":2}";
                exchange.getResponseHeaders().set("content-type", "application/json");
                exchange.getResponseHeaders().set("cache-control", "no-store");
                System.out.println(exchange.getRequestMethod() + " " + path + " -> 200");
            } else {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
