package dev.skewgate.proxy;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.http.Headers;
import dev.skewgate.routing.BackendRoute;
import dev.skewgate.routing.DeploymentRoute;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.HostAndPort;
import java.net.ConnectException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * The reverse proxy from the edge to the pinned deployment's backend: streaming both ways with backpressure, a
 * keep-alive pool per event loop, round robin with passive ejection, bounded waits (502 when a backend cannot be
 * reached, 504 when it does not answer), WebSocket tunnels only for a valid WebSocket upgrade that the backend
 * accepts with 101.
 *
 * <p>Written on Vert.x's HTTP client rather than vertx-http-proxy 5.0.10 (a Tech Preview): that module relays
 * WebSocket tunnels without backpressure, does not remove the headers named in {@code Connection}, and sets no
 * forwarding headers, which are exactly the parts a gateway has to get right.
 */
public final class ProxyHandler {

    /** Request header used by the gateway's own synthetic checks; never forwarded. */
    public static final String CHECK_HEADER = "x-skewgate-check";
    private static final Set<String> NOT_FORWARDED = Set.of(CHECK_HEADER, "host");

    private final HttpClient client;
    private final UpstreamHealth health;
    private final WebSocketTunnels tunnels;
    private final TrustedProxies trusted;
    private final long connectTimeoutMs;
    private final long idleTimeoutMs;

    /** One handler per event loop, with its own connection pool. */
    public ProxyHandler(Vertx vertx, UpstreamHealth health, WebSocketTunnels tunnels, TrustedProxies trusted,
                        Duration upstreamTimeout) {
        this.client = vertx.createHttpClient(new HttpClientOptions()
                        .setKeepAlive(true)
                        // Below the 5 s keep-alive of common backends (Node), so a pooled connection is not reused just
                        // as the backend closes it.
                        .setKeepAliveTimeout(4)
                        .setDecompressionSupported(false)
                        .setTcpNoDelay(true)
                        .setMaxInitialLineLength(8192)
                        .setMaxHeaderSize(32 * 1024),
                new PoolOptions().setHttp1MaxSize(256).setMaxWaitQueueSize(4096));
        this.health = health;
        this.tunnels = tunnels;
        this.trusted = trusted;
        this.connectTimeoutMs = 5_000;
        this.idleTimeoutMs = upstreamTimeout.toMillis();
    }

    public void handle(HttpServerRequest request, DeploymentRoute deployment, BackendRoute backend) {
        request.pause();
        boolean upgrade = request.canUpgradeToWebSocket();
        send(request, deployment, backend, upgrade, null);
    }

    /** @param failed the upstream that refused this request's first attempt, or null on the first attempt */
    private void send(HttpServerRequest request, DeploymentRoute deployment, BackendRoute backend, boolean upgrade,
                      BackendRoute.Upstream failed) {
        BackendRoute.Upstream upstream = health.pick(backend.upstreams(), failed);
        HostAndPort authority = request.authority();
        MultiMap headers = HttpHeaders.headers();
        HopByHop.copy(request.headers(), headers, NOT_FORWARDED);
        ForwardedHeaders.set(request, headers, trusted);
        if (upgrade) {
            headers.set("connection", "Upgrade");
            headers.set("upgrade", "websocket");
        }
        String originalHost = request.getHeader("host");
        if (originalHost != null) {
            headers.set("host", originalHost); // the Host the client used, exactly (not the upstream's address)
        }
        RequestOptions options = new RequestOptions()
                .setServer(upstream.address())
                .setSsl(upstream.tls())
                .setMethod(request.method())
                .setURI(request.uri())
                .setHost(authority == null ? upstream.host() : authority.host())
                .setPort(authority == null || authority.port() < 0 ? upstream.port() : authority.port())
                .setHeaders(headers)
                .setConnectTimeout(connectTimeoutMs)
                .setIdleTimeout(idleTimeoutMs);
        client.request(options).onComplete(created -> {
            if (created.failed()) {
                health.failed(upstream);
                if (failed == null && backend.upstreams().size() > 1) {
                    send(request, deployment, backend, upgrade, upstream); // nothing was sent yet: safe to retry
                } else {
                    fail(request, created.cause(), upstream);
                }
                return;
            }
            health.succeeded(upstream);
            HttpClientRequest out = created.result();
            if (upgrade) {
                tunnel(request, out, deployment);
                return;
            }
            // A request without framing headers has no body: send it as such, not as an empty chunked body.
            boolean hasBody = request.headers().contains("content-length") || request.headers().contains("transfer-encoding");
            Future<HttpClientResponse> answered;
            if (hasBody) {
                answered = out.send(request);
            } else {
                request.resume();
                answered = out.send();
            }
            answered.onComplete(ar -> {
                if (ar.failed()) {
                    fail(request, ar.cause(), upstream);
                } else {
                    relay(request, ar.result(), deployment, false);
                }
            });
        });
    }

    private static void relay(HttpServerRequest request, HttpClientResponse in, DeploymentRoute deployment,
                              boolean closeAfter) {
        HttpServerResponse out = request.response();
        out.setStatusCode(in.statusCode());
        if (in.statusMessage() != null) {
            out.setStatusMessage(in.statusMessage());
        }
        HopByHop.copy(in.headers(), out.headers(), Set.of());
        out.putHeader(Headers.DEPLOYMENT, deployment.id());
        if (!out.headers().contains(Headers.CACHE_CONTROL)) {
            out.putHeader(Headers.CACHE_CONTROL, Headers.NO_STORE); // never left to heuristic caching
        }
        boolean bodiless = request.method() == HttpMethod.HEAD || in.statusCode() == 204 || in.statusCode() == 304
                || in.statusCode() < 200;
        if (!bodiless && !out.headers().contains(Headers.CONTENT_LENGTH)) {
            out.setChunked(true);
        }
        // A backend that dies mid-body: the client must see a broken response, never a short one passed off as whole.
        in.request().connection().closeHandler(v -> {
            if (!out.ended()) {
                request.connection().close();
            }
        });
        in.pipeTo(out).onComplete(ar -> {
            if (ar.failed() && !out.ended() || closeAfter) {
                request.connection().close();
            }
        });
    }

    private void tunnel(HttpServerRequest request, HttpClientRequest out, DeploymentRoute deployment) {
        Context context = Vertx.currentContext();
        out.connect().onComplete(ar -> {
            if (ar.failed()) {
                fail(request, ar.cause(), null);
                return;
            }
            HttpClientResponse answer = ar.result();
            if (answer.statusCode() != 101) {
                // Not a tunnel (RFC 9931): relay the refusal as an ordinary response and close.
                request.response().putHeader("connection", "close");
                relay(request, answer, deployment, true);
                return;
            }
            HttpServerResponse response = request.response();
            HopByHop.copy(answer.headers(), response.headers(), Set.of());
            response.putHeader(Headers.DEPLOYMENT, deployment.id());
            response.putHeader("upgrade", "websocket");
            response.putHeader("connection", "Upgrade");
            request.toNetSocket().onComplete(front -> {
                if (front.failed()) {
                    answer.netSocket().close();
                    return;
                }
                tunnels.open(deployment.id(), context, front.result(), answer.netSocket());
            });
        });
    }

    private static void fail(HttpServerRequest request, Throwable cause, BackendRoute.Upstream upstream) {
        if (request.response().headWritten()) {
            request.connection().close();
            return;
        }
        String where = upstream == null ? "the backend" : upstream.origin();
        if (cause instanceof TimeoutException || String.valueOf(cause).contains("timeout")
                || String.valueOf(cause).contains("Timeout")) {
            DataPlaneErrors.json(request, 504, "BACKEND_TIMEOUT", where + " did not answer in time");
        } else if (cause instanceof ConnectException || String.valueOf(cause).contains("Connection refused")) {
            DataPlaneErrors.json(request, 502, "BACKEND_UNREACHABLE", where + " refused the connection");
        } else {
            DataPlaneErrors.json(request, 502, "BACKEND_ERROR", where + " failed: " + cause.getMessage());
        }
    }

}
