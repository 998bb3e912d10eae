package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A small blocking client of the admin API; every non-2xx answer becomes a {@link CliException} with its message. */
public final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int READ_TIMEOUT_MS = 10 * 60 * 1000;

    private final String base;
    private final Http1Client http;
    private final List<String> headers;

    public AdminClient(String base, String token) {
        this.base = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        URI uri;
        try {
            uri = URI.create(this.base);
        } catch (IllegalArgumentException e) {
            throw new CliException("the admin URL " + base + " is not a URL: " + e.getMessage());
        }
        this.http = new Http1Client(uri);
        this.headers = List.of("Authorization", "Bearer " + token, "X-Skewgate-Actor", actor());
    }

    public JsonNode get(String path) {
        return send("GET", path, null);
    }

    public JsonNode post(String path, Object body) {
        return send("POST", path, json(body));
    }

    public JsonNode delete(String path) {
        return send("DELETE", path, null);
    }

    public JsonNode patch(String path, Object body) {
        return send("PATCH", path, json(body));
    }

    public JsonNode put(String path, Object body) {
        return send("PUT", path, json(body));
    }

    /** Streams a file as a blob. */
    public JsonNode putFile(String path, Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new CliException("cannot read " + file + ": " + e.getMessage());
        }
        return send("PUT", path, new Http1Client.FileBody(file, size), "application/octet-stream");
    }

    /**
     * GETs a text answer and hands it over line by line as it arrives (a followed log is one answer that never
     * ends), until the server closes it. A non-2xx answer is the usual JSON error, reported as for every call.
     */
    public void streamLines(String path, java.util.function.Consumer<String> line) {
        // No read timeout: it would cut a followed stream that is quiet for long. Connecting still has one.
        Http1Client.Response response = exchange("GET", path, null, "text/plain", 0);
        try (java.io.InputStream in = response.body()) {
            if (response.status() >= 300) {
                answer(response.status(), in.readAllBytes());
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

    private JsonNode send(String method, String path, Http1Client.Body body) {
        return send(method, path, body, "application/json");
    }

    private JsonNode send(String method, String path, Http1Client.Body body, String contentType) {
        Http1Client.Response response = exchange(method, path, body, contentType, READ_TIMEOUT_MS);
        byte[] bytes;
        try {
            bytes = Http1Client.readAll(response);
        } catch (IOException e) {
            throw new CliException("request to " + base + " failed: " + e);
        }
        return answer(response.status(), bytes);
    }

    /** {@code type} is the body's Content-Type, or with no body what is accepted. */
    private Http1Client.Response exchange(String method, String path, Http1Client.Body body, String type, int timeoutMs) {
        List<String> all = new java.util.ArrayList<>(headers);
        all.add(body == null ? "Accept" : "Content-Type");
        all.add(type);
        try {
            return http.send(method, path, all, body, timeoutMs);
        } catch (ConnectException e) {
            throw new CliException("cannot reach the admin API at " + base + ": is 'skewgate serve' running? "
                    + "(use --admin-url for another address)");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CliException("cannot read " + e.getFile() + ": no such file");
        } catch (IOException e) {
            throw new CliException("request to " + base + " failed: " + e);
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

    private static Http1Client.Body json(Object body) {
        try {
            return new Http1Client.Bytes(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException("request bodies are always serializable", e);
        }
    }

    /**
     * Who runs the command, for the audit log: user@host. The host name is the kernel's (what {@code hostname}
     * prints); {@code InetAddress.getLocalHost()} would look it up in DNS first, which can take seconds.
     */
    private static String actor() {
        String host;
        try {
            host = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (IOException | RuntimeException notLinux) {
            try {
                host = java.net.InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "unknown";
            }
        }
        return System.getProperty("user.name", "cli") + "@" + host;
    }
}
