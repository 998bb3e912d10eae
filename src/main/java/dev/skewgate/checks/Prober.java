package dev.skewgate.checks;

import dev.skewgate.control.SwitchGuard;
import dev.skewgate.model.Backend;
import dev.skewgate.model.CheckResult;
import dev.skewgate.model.Site;
import dev.skewgate.proxy.ProxyHandler;
import dev.skewgate.routing.BackendRoute;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * Readiness probes (straight to each upstream) and synthetic checks (through this gateway's own edge listener, one per
 * host name, pinned to the deployment about to go live). Called from the control plane's thread, so it blocks.
 */
public final class Prober implements SwitchGuard {

    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    static final Duration PROBE_INTERVAL = Duration.ofMillis(300);

    private final HttpClient http;
    /** An event-loop context of its own: callers block on the control thread, often a worker of the admin API. */
    private final io.vertx.core.Context context;
    private final IntSupplier edgePort;
    private final IntSupplier httpsPort;
    private final io.vertx.core.http.HttpClient edgeTls;
    private final String edgeAddress;
    private final String checkSecret;
    private final Clock clock;

    /** A probe's answer: a status, or why there was none, in words an operator can act on. */
    record Answer(int status, String deployment, String error, boolean unreachable) {
        boolean ok() {
            return error == null && status >= 200 && status < 300;
        }

        boolean timedOut() {
            return error != null && (error.equals(timeout().error()) || error.startsWith("no connection within"));
        }

        String describe() {
            return error != null ? error : "HTTP " + status;
        }

        /**
         * An answer that waiting will not change: nothing listens, the name does not resolve, or the backend is up and
         * says the health path is wrong (a redirect, 401/403, 404/405/410). A 5xx or a timeout may be a backend still
         * starting, so it gets the whole readiness timeout.
         */
        boolean conclusive() {
            return unreachable || (status >= 300 && status < 400) || status == 401 || status == 403 || status == 404
                    || status == 405 || status == 410;
        }

        /** Why there was no answer, from the client's exception, without the transport's internals. */
        static Answer failure(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.net.UnknownHostException) {
                    return new Answer(0, null, "unknown host", true);
                }
                if (t instanceof io.netty.channel.ConnectTimeoutException) {
                    return new Answer(0, null, "no connection within " + PROBE_TIMEOUT.toSeconds() + " s", false);
                }
                if (t instanceof javax.net.ssl.SSLHandshakeException) {
                    return new Answer(0, null, "the TLS handshake failed: no certificate for this host name "
                            + "(skewgate cert add --host NAME --cert FILE --key FILE)", true);
                }
                if (t instanceof java.net.ConnectException) {
                    // Netty's message is "finishConnect(..) failed with error(-111)": the class says all we need.
                    return new Answer(0, null, "the connection was refused", true);
                }
                if (t instanceof javax.net.ssl.SSLException) {
                    return new Answer(0, null, "the TLS handshake failed", false);
                }
                if (t instanceof io.vertx.core.http.HttpClosedException) {
                    return new Answer(0, null, "the connection was closed before an answer", false);
                }
                if (t instanceof java.util.concurrent.TimeoutException
                        || t instanceof io.netty.handler.timeout.TimeoutException) {
                    return timeout();
                }
            }
            return new Answer(0, null, "the connection failed", false);
        }

        static Answer timeout() {
            return new Answer(0, null, "no answer within " + PROBE_TIMEOUT.toSeconds() + " s", false);
        }
    }

    public Prober(Vertx vertx, IntSupplier edgePort, String edgeAddress, String checkSecret, Clock clock) {
        this(vertx, edgePort, () -> -1, edgeAddress, checkSecret, clock);
    }

    /**
     * @param httpsPort the edge's HTTPS listener (-1: none): with one, the synthetic checks go through it, each with
     *                  its host as SNI, as a browser's request would
     */
    public Prober(Vertx vertx, IntSupplier edgePort, IntSupplier httpsPort, String edgeAddress, String checkSecret,
                  Clock clock) {
        this.context = ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
        this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setMaxRedirects(0)
                .setConnectTimeout((int) PROBE_TIMEOUT.toMillis()));
        // Our own listener: which CA signed it is the operator's business; that a certificate for the name is served
        // (SNI) and valid today is what the check proves.
        this.edgeTls = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(false).setMaxRedirects(0)
                .setConnectTimeout((int) PROBE_TIMEOUT.toMillis()).setSsl(true).setTrustAll(true).setVerifyHost(false)
                .setForceSni(true).setUseAlpn(true).setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2));
        this.httpsPort = httpsPort;
        this.edgePort = edgePort;
        this.edgeAddress = dev.skewgate.http.ListenAddress.reachable(edgeAddress, "127.0.0.1");
        this.checkSecret = checkSecret;
        this.clock = clock;
    }

    @Override
    public Optional<String> notReady(Site site, Backend backend, Consumer<String> progress) {
        int needed = site.checks().readinessProbes();
        if (needed <= 0) {
            return Optional.empty();
        }
        long deadline = System.nanoTime() + site.checks().readinessTimeout().toNanos();
        for (BackendRoute.Upstream u : BackendRoute.of(backend).upstreams()) {
            String target = u.origin() + backend.healthPath();
            int streak = 0;
            int conclusive = 0;
            int tries = 0;
            while (streak < needed) {
                tries++;
                Answer last = getOnce(u.host(), u.port(), u.tls(), backend.healthPath(), u.host(), HttpHeaders.headers());
                if (last.ok()) {
                    streak++;
                    progress.accept("waiting for " + target + ": " + streak + "/" + needed + " probes answered 2xx");
                    continue;
                }
                streak = 0;
                conclusive = last.conclusive() ? conclusive + 1 : 0;
                progress.accept("waiting for " + target + ": " + last.describe() + " (try " + tries + ")");
                // Waiting out the timeout would only delay the same answer (see Answer.conclusive).
                if (conclusive >= needed || System.nanoTime() > deadline) {
                    return Optional.of("backend " + u.origin() + " is not ready: GET " + backend.healthPath() + ": "
                            + explain(last, site.name(), backend.healthPath()) + (conclusive >= needed ? " (" + conclusive + " tries in a row)"
                            : " (after " + site.checks().readinessTimeout().toSeconds() + " s)") + "; " + needed
                            + " consecutive 2xx answers are needed");
                }
                sleep(PROBE_INTERVAL);
            }
        }
        return Optional.empty();
    }

    private static String explain(Answer last, String site, String healthPath) {
        if (last.error() != null) {
            return last.error();
        }
        if (last.status() >= 300 && last.status() < 400) {
            return "HTTP " + last.status() + " (a redirect: the health path must answer 2xx itself)";
        }
        if (last.status() == 404 || last.status() == 405) {
            return "HTTP " + last.status() + " (is " + healthPath + " the backend's health path? give the right one "
                    + "with 'skewgate deploy DIR --site " + site + " --backend URL --health PATH', or for the site's "
                    + "default backend 'skewgate site update " + site + " --default-health PATH')";
        }
        return "HTTP " + last.status();
    }

    @Override
    public List<CheckResult> synthetic(Site site, String deploymentId, Optional<Backend> backend) {
        List<CheckResult> results = new ArrayList<>();
        for (String configured : site.hosts()) {
            String host = configured;
            if (configured.startsWith("*.")) {
                host = site.checks().wildcardSamples().getOrDefault(configured, "skewgate-check" + configured.substring(1));
            }
            MultiMap headers = HttpHeaders.headers().add("accept", "text/html").add("x-skewgate-deployment", deploymentId);
            boolean tls = httpsPort.getAsInt() > 0;
            int port = tls ? httpsPort.getAsInt() : edgePort.getAsInt();
            Answer entry = get(edgeAddress, port, tls, "/", host, headers);
            boolean entryOk = entry.ok() && deploymentId.equals(entry.deployment());
            results.add(new CheckResult(host, "entry", deploymentId, entryOk, entryOk ? "HTTP " + entry.status()
                    : "GET / answered " + entry.describe() + (entry.error() == null ? " from "
                    + (entry.deployment() == null ? "no deployment" : entry.deployment()) : ""), clock.instant()));
            if (backend.isPresent()) {
                MultiMap api = HttpHeaders.headers().add("x-skewgate-deployment", deploymentId)
                        .add(ProxyHandler.CHECK_HEADER, checkSecret);
                Answer health = get(edgeAddress, port, tls, backend.get().healthPath(), host, api);
                boolean healthOk = health.ok() && deploymentId.equals(health.deployment());
                results.add(new CheckResult(host, "backend", deploymentId, healthOk, healthOk ? "HTTP " + health.status()
                        : "GET " + backend.get().healthPath() + " through the proxy answered " + health.describe(),
                        clock.instant()));
            }
        }
        return results;
    }

    /**
     * One check's answer. A timeout is asked once more: the first TLS request of a gateway that just started sets up
     * the JDK's TLS client, which on a busy machine took longer than the whole timeout (a new user's first activation
     * was refused that way); a backend that really hangs costs two timeouts.
     */
    private Answer get(String address, int port, boolean tls, String path, String host, MultiMap headers) {
        Answer first = getOnce(address, port, tls, path, host, headers);
        return first.timedOut() ? getOnce(address, port, tls, path, host, headers) : first;
    }

    private Answer getOnce(String address, int port, boolean tls, String path, String host, MultiMap headers) {
        RequestOptions options = new RequestOptions()
                .setServer(SocketAddress.inetSocketAddress(port, address))
                .setSsl(tls)
                .setMethod(HttpMethod.GET)
                .setURI(path)
                .setHost(host)
                .setPort(port)
                .setHeaders(headers)
                .setIdleTimeout(PROBE_TIMEOUT.toMillis())
                .setConnectTimeout(PROBE_TIMEOUT.toMillis());
        java.util.concurrent.CompletableFuture<Answer> answer = new java.util.concurrent.CompletableFuture<>();
        io.vertx.core.http.HttpClient client = tls && port == httpsPort.getAsInt() ? edgeTls : http;
        context.runOnContext(v -> client.request(options)
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(b -> {
                    String expired = tls ? expired(resp.request().connection()) : null;
                    return expired != null ? new Answer(0, null, expired, false) : new Answer(resp.statusCode(),
                            resp.getHeader("x-skewgate-deployment"), null, false);
                }))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        answer.complete(ar.result());
                    } else {
                        answer.completeExceptionally(ar.cause());
                    }
                }));
        try {
            return answer.get(PROBE_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return Answer.failure(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            return Answer.timeout();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(0, null, "interrupted", false);
        }
    }

    /** Why the certificate the connection presented is not valid now, or null. */
    private String expired(io.vertx.core.http.HttpConnection connection) {
        try {
            var certs = connection.peerCertificates();
            if (!certs.isEmpty() && certs.get(0) instanceof java.security.cert.X509Certificate leaf
                    && leaf.getNotAfter().toInstant().isBefore(clock.instant())) {
                return "the certificate served for this host expired on " + leaf.getNotAfter().toInstant();
            }
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return "no certificate was presented";
        }
        return null;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
