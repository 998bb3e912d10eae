import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/**
 * Shows the JVM exit delay the CLI pays: after one request with java.net.http.HttpClient, System.exit takes ~300 ms
 * on JDK 17 (HotSpot waits up to 30 x 10 ms for threads "in native" -- the client's selector thread sits in
 * epoll_wait); with HttpURLConnection it does not. Prints the epoch millis right before System.exit; the caller
 * measures until the process is gone:
 *
 *   for m in httpclient urlconnection none; do
 *     o=$(java bench/probes/ExitDelay.java http://127.0.0.1:PORT/ $m); echo "$m: $(( $(date +%s%3N) - o )) ms"
 *   done
 * Mode "httpclient-halt" ends with Runtime.halt instead of System.exit (what app/Main.java does since 9c1aeb0).
 */
public class ExitDelay {
    public static void main(String[] args) throws Exception {
        switch (args[1]) {
            case "httpclient", "httpclient-halt" -> HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                    .send(HttpRequest.newBuilder(URI.create(args[0])).GET().build(), HttpResponse.BodyHandlers.ofString());
            case "urlconnection" -> {
                HttpURLConnection c = (HttpURLConnection) new URL(args[0]).openConnection();
                int code = c.getResponseCode();
                try (InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
                    if (in != null) {
                        in.readAllBytes();
                    }
                }
            }
            default -> {
            }
        }
        System.out.println(System.currentTimeMillis());
        System.out.flush();
        if (args[1].endsWith("-halt")) {
            Runtime.getRuntime().halt(0);
        }
        System.exit(0);
    }
}
