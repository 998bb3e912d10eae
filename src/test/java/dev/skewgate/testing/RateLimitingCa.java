package dev.skewgate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.skewgate.tls.Pem;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A real HTTPS ACME directory in front of pebble (which cannot emulate rate limits): it serves pebble's directory
 * with {@code newOrder} pointing at itself, and answers every new order as Let's Encrypt does when a limit is hit
 * (RFC 8555 §6.6: 429, problem {@code urn:ietf:params:acme:error:rateLimited}, {@code Retry-After}, a help link).
 * Accounts, nonces and everything after {@link #lift()} are pebble's own.
 */
public final class RateLimitingCa implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Pebble pebble;
    private final HttpsServer server;
    private final Function<String, String> retryAfter;
    private final Map<String, Integer> orders = new ConcurrentHashMap<>();
    private volatile boolean limited = true;

    private RateLimitingCa(Pebble pebble, HttpsServer server, Function<String, String> retryAfter) {
        this.pebble = pebble;
        this.server = server;
        this.retryAfter = retryAfter;
    }

    /** Serves on 127.0.0.1 with pebble's listener certificate; {@code retryAfter} gives the header per host. */
    public static RateLimitingCa start(Pebble pebble, Function<String, String> retryAfter) throws Exception {
        String pem = Files.readString(pebble.listenerCert());
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("ca", Pem.privateKey(Files.readString(pebble.listenerKey())),
                new char[0], Pem.certificates(pem).toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, new char[0]);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        RateLimitingCa ca = new RateLimitingCa(pebble, server, retryAfter);
        server.createContext("/dir", ca::directory);
        server.createContext("/limited-order", ca::refuse);
        server.start();
        return ca;
    }

    public URI directory() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/dir");
    }

    /** From now on the directory is pebble's unchanged: orders go through. */
    public void lift() {
        limited = false;
    }

    /** How many new orders for {@code host} were refused. */
    public int refusedOrders(String host) {
        return orders.getOrDefault(host, 0);
    }

    private void directory(HttpExchange ex) throws IOException {
        try {
            HttpClient client = HttpClient.newBuilder().sslContext(TestCerts.trustingFile(pebble.listenerCert())).build();
            String body = client.send(HttpRequest.newBuilder(pebble.directory()).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            ObjectNode dir = (ObjectNode) JSON.readTree(body);
            if (limited) {
                dir.put("newOrder", "https://127.0.0.1:" + server.getAddress().getPort() + "/limited-order");
            }
            send(ex, 200, "application/json", JSON.writeValueAsBytes(dir));
        } catch (Exception e) {
            send(ex, 502, "text/plain", e.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    private void refuse(HttpExchange ex) throws IOException {
        JsonNode jws = JSON.readTree(ex.getRequestBody().readAllBytes());
        JsonNode order = JSON.readTree(Base64.getUrlDecoder().decode(jws.path("payload").asText()));
        String host = order.path("identifiers").path(0).path("value").asText();
        orders.merge(host, 1, Integer::sum);
        ex.getResponseHeaders().add("Retry-After", retryAfter.apply(host));
        ex.getResponseHeaders().add("Link", "<https://letsencrypt.org/docs/rate-limits/>;rel=\"help\"");
        send(ex, 429, "application/problem+json", JSON.writeValueAsBytes(Map.of(
                "type", "urn:ietf:params:acme:error:rateLimited", "status", 429,
                "detail", "too many certificates (5) already issued for this exact set of identifiers in the last "
                        + "168h0m0s")));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
