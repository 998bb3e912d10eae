package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** A small blocking client of the admin API; every non-2xx answer becomes a {@link CliException} with its message. */
public final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String base;
    private final String token;
    private final HttpClient http;
    private final String actor;

    public AdminClient(String base, String token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.token = token;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        this.actor = System.getProperty("user.name", "cli") + "@" + hostName();
    }

    public JsonNode get(String path) {
        return send(request(path).GET());
    }

    public JsonNode post(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    public JsonNode delete(String path) {
        return send(request(path).DELETE());
    }

    public JsonNode patch(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    public JsonNode put(String path, Object body) {
        return send(request(path).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes(body))));
    }

    /** Streams a file as a blob. */
    public JsonNode putFile(String path, Path file) {
        try {
            return send(request(path).header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofFile(file)));
        } catch (java.io.FileNotFoundException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * GETs a text answer and hands it over line by line as it arrives (a followed log is one answer that never
     * ends), until the server closes it. A non-2xx answer is the usual JSON error, reported as for every call.
     */
    public void streamLines(String path, java.util.function.Consumer<String> line) {
        // No request timeout: the JDK's would cut a followed stream that is quiet for long. Connecting still has one.
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + token)
                .header("X-Skewgate-Actor", actor)
                .header("Accept", "text/plain")
                .GET().build();
        HttpResponse<java.io.InputStream> response = exchange(request, HttpResponse.BodyHandlers.ofInputStream());
        try (java.io.InputStream in = response.body()) {
            if (response.statusCode() >= 300) {
                answer(response.statusCode(), in.readAllBytes());
                return;
            }
            java.io.BufferedReader reader = new java.io.BufferedReader(
                    new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8));
            for (String l = reader.readLine(); l != null; l = reader.readLine()) {
                line.accept(l);
            }
        } catch (IOException e) {
            throw new CliException("the answer from " + base + " broke off: " + e.getMessage());
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofMinutes(10))
                .header("Authorization", "Bearer " + token)
                .header("X-Skewgate-Actor", actor);
    }

    private JsonNode send(HttpRequest.Builder builder) {
        HttpResponse<byte[]> response = exchange(builder.build(), HttpResponse.BodyHandlers.ofByteArray());
        return answer(response.statusCode(), response.body());
    }

    private <T> HttpResponse<T> exchange(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        } catch (ConnectException e) {
            throw new CliException("cannot reach the admin API at " + base + ": is 'skewgate serve' running? "
                    + "(use --admin-url for another address)");
        } catch (IOException e) {
            throw new CliException("request to " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }

    /** The JSON of a 2xx answer; any other status becomes a {@link CliException} with the API's message and code. */
    private static JsonNode answer(int status, byte[] bytes) {
        JsonNode body;
        try {
            body = bytes.length == 0 ? JSON.createObjectNode() : JSON.readTree(bytes);
        } catch (IOException e) {
            throw new CliException("the admin API answered " + status + " with a body that is not JSON");
        }
        if (status >= 300) {
            String message = body.path("message").asText("HTTP " + status);
            String code = body.path("error").asText("");
            throw new CliException(message + (code.isEmpty() ? "" : " (" + code + ")"), code);
        }
        return body;
    }

    private static byte[] bytes(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("request bodies are always serializable", e);
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
