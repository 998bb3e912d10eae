package dev.skewgate.admin;

import dev.skewgate.certs.CertificateManager;
import static dev.skewgate.admin.Fields.array;
import static dev.skewgate.admin.Fields.typed;

import dev.skewgate.control.ControlPlane;
import dev.skewgate.control.DeploymentMeta;
import dev.skewgate.control.NewDeployment;
import dev.skewgate.control.Running;
import dev.skewgate.control.SiteSettings;
import dev.skewgate.http.Readiness;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.Durations;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.model.SkewgateException;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.StoreFailure;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin REST API under {@code /v1}: a bearer token on every route, JSON in and out, one error shape
 * {@code {"error":"CODE","message":"..."}}. Handlers run on worker threads (they call the store).
 */
public final class AdminApi {

    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    static final long MAX_JSON_BODY = 64L << 20;
    private static final String BODY = "skewgate.body";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

    private final ControlPlane control;
    private final AdminToken token;
    private final IntSupplier edgePort;
    /** The HTTPS listener's port, -1 without one: preview URLs then use it. */
    private final IntSupplier httpsPort;
    private final Readiness readiness;
    private final CertificateManager certificates;
    private final Optional<java.util.function.Supplier<String>> metrics;
    private BrowserAccess browsers = BrowserAccess.NONE;

    /**
     * @param edgePort the data plane's bound port, reported by {@code /v1/health} so the CLI can print preview URLs
     * @param readiness what {@code /v1/health/ready} answers
     */
    public AdminApi(ControlPlane control, AdminToken token, IntSupplier edgePort, Readiness readiness,
                    CertificateManager certificates) {
        this(control, token, edgePort, () -> -1, readiness, certificates, Optional.empty());
    }

    /** @param metrics the Prometheus text {@code GET /metrics} answers (with the token, like every admin route) */
    public AdminApi(ControlPlane control, AdminToken token, IntSupplier edgePort, IntSupplier httpsPort,
                    Readiness readiness, CertificateManager certificates,
                    Optional<java.util.function.Supplier<String>> metrics) {
        this.metrics = metrics;
        this.httpsPort = httpsPort;
        this.control = control;
        this.token = token;
        this.edgePort = edgePort;
        this.readiness = readiness;
        this.certificates = certificates;
    }

    /** Lets browsers in as {@code access} says (the dashboard); without it, only the bearer token does. */
    public AdminApi withBrowsers(BrowserAccess access) {
        this.browsers = access;
        return this;
    }

    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        browsers.mountOpen(router);
        // The probes need no token: they disclose nothing, and an orchestrator's probe has no token to send.
        router.get("/v1/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "live")));
        router.get("/v1/health/ready").handler(this::ready);
        router.route().handler(this::authenticate);
        browsers.mountAuthenticated(router);
        // Blob bytes stream straight to the blob store; register before the body handler so they are not buffered.
        router.put("/v1/deployments/:id/blobs/:sha").handler(this::uploadBlob);
        router.route().handler(AdminApi::collectBody);

        metrics.ifPresent(page -> concurrently(router.get("/metrics"), ctx -> ctx.response()
                .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(page.get())));
        concurrently(router.get("/v1/health"), ctx -> {
            JsonObject health = new JsonObject().put("status", "ok").put("edgePort", edgePort.getAsInt())
                    .put("store", control.storeInfo().kind());
            if (!control.storeInfo().kind().equals("sqlite")) {
                health.put("storeAt", control.storeInfo().where()); // host:port/database: never a credential
            }
            if (httpsPort.getAsInt() > 0) {
                health.put("httpsPort", httpsPort.getAsInt());
            }
            json(ctx, 200, health);
        });
        concurrently(router.get("/v1/nodes"), ctx -> json(ctx, 200, nodes()));
        concurrently(router.get("/v1/sites"), ctx -> json(ctx, 200, new JsonObject().put("sites",
                new JsonArray(control.sites().list().stream().map(Wire::site).toList()))));
        concurrently(router.post("/v1/sites"), this::createSite);
        concurrently(router.get("/v1/sites/:site"), ctx -> site(ctx, 200, control.sites().get(ctx.pathParam("site"))));
        concurrently(router.patch("/v1/sites/:site"), this::updateSite);
        concurrently(router.delete("/v1/sites/:site"), this::deleteSite);
        concurrently(router.get("/v1/sites/:site/deployments"), ctx -> json(ctx, 200, new JsonObject().put("deployments",
                new JsonArray(control.sites().deployments(ctx.pathParam("site")).stream().map(Wire::deployment).toList()))));
        concurrently(router.post("/v1/sites/:site/deployments"), this::createDeployment);
        concurrently(router.get("/v1/sites/:site/status"), this::status);
        concurrently(router.get("/v1/certificates"), ctx -> json(ctx, 200, new JsonObject().put("certificates",
                new JsonArray(certificates.list().stream().map(AdminApi::certificate).toList()))));
        concurrently(router.post("/v1/certificates"), ctx -> {
            JsonObject body = body(ctx);
            json(ctx, 201, certificate(certificates.add(Fields.typed(body, "host", String.class),
                    Fields.typed(body, "certFile", String.class), Fields.typed(body, "keyFile", String.class))));
        });
        concurrently(router.post("/v1/certificates/:host/renew"), ctx -> json(ctx, 200,
                certificate(certificates.renew(ctx.pathParam("host")))));
        concurrently(router.delete("/v1/certificates/:host"), ctx -> {
            certificates.remove(ctx.pathParam("host"));
            ctx.response().setStatusCode(204).end();
        });
        concurrently(router.get("/v1/sites/:site/events"), this::events);
        concurrently(router.post("/v1/sites/:site/activate"), this::activate);
        concurrently(router.get("/v1/sites/:site/activation"), this::activation);
        concurrently(router.post("/v1/sites/:site/rollback"), this::rollback);
        concurrently(router.post("/v1/sites/:site/retire"), this::retire);
        concurrently(router.get("/v1/deployments/:id"), ctx -> json(ctx, 200, Wire.deployment(control.sites().deployment(ctx.pathParam("id")))));
        concurrently(router.get("/v1/deployments/:id/files"), ctx -> json(ctx, 200, new JsonObject().put("files",
                new JsonArray(control.sites().files(ctx.pathParam("id")).stream().map(Wire::file).toList()))));
        concurrently(router.post("/v1/deployments/:id/finalize"), ctx -> json(ctx, 200,
                Wire.deployment(control.uploads().finalizeDeployment(ctx.pathParam("id"), actor(ctx)))));
        concurrently(router.post("/v1/deployments/:id/promote"), this::promote);
        concurrently(router.get("/v1/sites/:site/config"), ctx -> config(ctx, control.sites().get(ctx.pathParam("site"))));
        concurrently(router.put("/v1/sites/:site/config"), this::putConfig);
        concurrently(router.patch("/v1/sites/:site/config"), this::patchConfig);
        concurrently(router.post("/v1/sites/:site/webhook-secrets"), ctx -> json(ctx, 201, new JsonObject()
                .put("secret", control.config().rotateWebhookSecret(ctx.pathParam("site"), actor(ctx)))
                .put("message", "keep this secret: it is shown once; the previous secret stays valid until the next rotation")));
        concurrently(router.get("/v1/sites/:site/env"), ctx -> env(ctx, control.env().list(ctx.pathParam("site"))));
        concurrently(router.patch("/v1/sites/:site/env"), this::patchEnv);
        concurrently(router.get("/v1/deployments/:id/logs"), ctx -> logs(ctx, control.sites().deployment(ctx.pathParam("id"))));
        concurrently(router.get("/v1/sites/:site/logs"), ctx -> logs(ctx, activeOf(ctx.pathParam("site"))));
        concurrently(router.post("/v1/deployments/:id/restart"), ctx -> {
            JsonArray instances = new JsonArray();
            control.backends().restart(control.sites().deployment(ctx.pathParam("id")).id())
                    .forEach(i -> instances.add(BackendWire.instance(i)));
            json(ctx, 200, new JsonObject().put("deployment", ctx.pathParam("id")).put("instances", instances));
        });
        concurrently(router.post("/v1/retention/run"), ctx -> json(ctx, 200, Wire.retention(control.retention().run())));
        router.route().handler(ctx -> error(ctx, 404, "NOT_FOUND", "no admin endpoint " + ctx.request().method()
                + " " + ctx.request().path()));
        router.route().failureHandler(this::failure);
        return router;
    }

    /**
     * Runs a JSON endpoint on the worker pool, unordered: an activation that waits 30 s for a backend's readiness
     * then holds one pool thread, never the admin listener's instance that other requests (another site's rollback)
     * arrive on. The body was already collected on the instance's own context.
     */
    private static void concurrently(Route route, io.vertx.core.Handler<RoutingContext> handler) {
        route.blockingHandler(handler, false);
    }

    /**
     * Reads the whole body as bytes, bounded. Not Vert.x's BodyHandler: it decodes form and multipart bodies itself,
     * and a 2 MB form field then fails with a 500 (TooLongFormFieldException). Every endpoint here takes JSON or
     * nothing, whatever the Content-Type says, so the bytes are all that is kept.
     */
    private static void collectBody(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String length = request.getHeader("content-length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                declared = -1;
            }
            if (declared < 0) {
                tooMuch(ctx, 400, "INVALID_LENGTH", "Content-Length must be a number of bytes");
                return;
            }
            if (declared > MAX_JSON_BODY) {
                tooMuch(ctx, 413, "BODY_TOO_LARGE", "the request body is larger than " + MAX_JSON_BODY + " bytes");
                return;
            }
        }
        if ("100-continue".equalsIgnoreCase(request.getHeader("expect"))) {
            request.response().writeContinue(); // curl asks before bodies over 1 MB (RFC 9110 §10.1.1)
        }
        Buffer body = Buffer.buffer();
        boolean[] over = {false};
        request.handler(chunk -> {
            if (over[0]) {
                return;
            }
            if (body.length() + (long) chunk.length() > MAX_JSON_BODY) {
                over[0] = true;
                tooMuch(ctx, 413, "BODY_TOO_LARGE", "the request body is larger than " + MAX_JSON_BODY + " bytes");
                return;
            }
            body.appendBuffer(chunk);
        });
        request.exceptionHandler(e -> over[0] = true); // the client went away: nobody to answer
        request.endHandler(v -> {
            if (!over[0]) {
                ctx.put(BODY, body);
                ctx.next();
            }
        });
        request.resume();
    }

    private static void tooMuch(RoutingContext ctx, int status, String code, String message) {
        ctx.response().putHeader("connection", "close");
        error(ctx, status, code, message);
    }

    private static Buffer rawBody(RoutingContext ctx) {
        Buffer b = ctx.get(BODY);
        return b == null ? Buffer.buffer() : b;
    }

    private void authenticate(RoutingContext ctx) {
        if (token.matches(ctx.request().getHeader("Authorization"))) {
            ctx.next();
            return;
        }
        BrowserAccess.Verdict verdict = ctx.request().getHeader("Authorization") == null ? browsers.session(ctx)
                : BrowserAccess.Verdict.NONE;
        if (verdict == BrowserAccess.Verdict.ALLOWED) {
            ctx.next();
            return;
        }
        if (verdict == BrowserAccess.Verdict.ANSWERED) {
            return;
        }
        ctx.response().putHeader("www-authenticate", "Bearer realm=\"skewgate-admin\"");
        error(ctx, 401, "UNAUTHORIZED", "a valid admin token is required: 'Authorization: Bearer <token>' "
                + "(the token is in the data directory's admin-token file)");
    }

    private void ready(RoutingContext ctx) {
        readiness.check().onComplete(done -> {
            Optional<String> why = done.succeeded() ? done.result()
                    : Optional.of("the readiness check failed: " + done.cause().getMessage());
            if (why.isEmpty()) {
                json(ctx, 200, new JsonObject().put("status", "ready"));
            } else {
                error(ctx, 503, "NOT_READY", why.get());
            }
        });
    }

    private void createSite(RoutingContext ctx) {
        JsonObject body = body(ctx);
        String name = body.getString("name");
        if (name == null) {
            throw new InvalidRequestException("MISSING_FIELD", "'name' is required");
        }
        JsonObject patch = body.copy();
        patch.remove("name");
        Site site = control.sites().create(name, SiteSettingsWire.patched(SiteSettings.DEFAULT, patch), actor(ctx));
        site(ctx, 201, site);
    }

    private void updateSite(RoutingContext ctx) {
        JsonObject patch = body(ctx);
        Site site = control.sites().update(ctx.pathParam("site"), current -> SiteSettingsWire.patched(current, patch),
                ifMatch(ctx), actor(ctx));
        site(ctx, 200, site);
    }

    private void deleteSite(RoutingContext ctx) {
        boolean force = "true".equals(ctx.request().getParam("force"));
        var deletion = control.sites().delete(ctx.pathParam("site"), force, ifMatch(ctx), actor(ctx));
        json(ctx, 200, new JsonObject().put("event", Wire.event(deletion.event()))
                .put("retired", new JsonArray(deletion.retired())));
    }

    private void createDeployment(RoutingContext ctx) {
        JsonObject body = body(ctx);
        JsonArray files = array(body, "files");
        List<ManifestEntry> manifest = new ArrayList<>(files.size());
        for (Object o : files) {
            if (!(o instanceof JsonObject f) || !(f.getValue("path") instanceof String path)
                    || !(f.getValue("sha256") instanceof String sha) || !(f.getValue("size") instanceof Number size)) {
                throw new InvalidRequestException("INVALID_MANIFEST",
                        "each file is {\"path\": string, \"sha256\": string, \"size\": number}");
            }
            manifest.add(new ManifestEntry(path, sha, size.longValue(), ""));
        }
        DeploymentMeta meta = new DeploymentMeta(
                Optional.ofNullable(typed(body, "message", String.class)).orElse(""),
                Optional.ofNullable(typed(body, "gitSha", String.class)),
                actor(ctx),
                BackendWire.isManaged(body) ? Optional.empty() : SiteSettingsWire.backend(body, "backend"),
                BackendWire.isManaged(body) ? Optional.of(BackendWire.request(body)) : Optional.empty());
        NewDeployment created = control.uploads().begin(ctx.pathParam("site"), manifest, meta);
        json(ctx, 201, new JsonObject()
                .put("deployment", Wire.deployment(created.deployment()))
                .put("missing", new JsonArray(created.missing()))
                .put("missingBytes", created.missingBytes()));
    }

    private void uploadBlob(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String sha = ctx.pathParam("sha");
        if (!SHA256.matcher(sha).matches()) {
            throw new InvalidRequestException("INVALID_SHA256", "'" + sha + "' is not a lowercase hex sha256");
        }
        BlobStore.BlobUpload upload = control.uploads().openBlob(ctx.pathParam("id"), sha);
        request.handler(chunk -> {
            try {
                byte[] bytes = chunk.getBytes();
                upload.write(bytes, 0, bytes.length);
            } catch (IOException | RuntimeException e) {
                abortQuietly(upload);
                request.handler(null);
                request.endHandler(null);
                ctx.response().putHeader("connection", "close");
                ctx.fail(e);
            }
        });
        request.exceptionHandler(e -> abortQuietly(upload)); // client went away mid-upload: keep nothing
        // Off the event loop: committing fsyncs, and on PostgreSQL it also copies the blob into the database.
        request.endHandler(v -> ctx.vertx().executeBlocking(() -> {
            upload.commit();
            return sha;
        }, false).onSuccess(done -> json(ctx, 201, new JsonObject().put("sha256", done))).onFailure(e -> {
            abortQuietly(upload);
            ctx.fail(e);
        }));
        request.resume();
    }

    private static void abortQuietly(BlobStore.BlobUpload upload) {
        try {
            upload.abort();
        } catch (IOException e) {
            LOG.warn("could not remove a partial blob: {}", e.toString());
        }
    }

    /** How long an activation or rollback waits for the other nodes to serve it before it answers naming them. */
    static final java.time.Duration PROPAGATION_BOUND = java.time.Duration.ofSeconds(5);

    private void activate(RoutingContext ctx) {
        JsonObject body = body(ctx);
        String id = required(body, "deployment");
        Optional<SiteEvent> event = control.lifecycle().activate(ctx.pathParam("site"), id, ifMatch(ctx), actor(ctx));
        JsonObject answer = new JsonObject()
                .put("changed", event.isPresent())
                .put("event", event.map(Wire::event).orElse(null))
                .put("site", Wire.site(control.sites().get(ctx.pathParam("site"))));
        propagation(answer, ctx.pathParam("site"), id);
        json(ctx, 200, answer);
    }

    /**
     * On a store several nodes share: waits (at most {@link #PROPAGATION_BOUND}) until every live node serves the
     * change and says so in {@code nodes: {serving, lagging, waitedMs}}; alone, the answer stays as it was.
     */
    private void propagation(JsonObject answer, String site, String deployment) {
        dev.skewgate.control.Running.Propagation p = control.running().awaitServing(site, deployment,
                PROPAGATION_BOUND);
        if (p.serving().size() + p.lagging().size() > 1) {
            answer.put("nodes", new JsonObject().put("serving", new JsonArray(p.serving()))
                    .put("lagging", new JsonArray(p.lagging())).put("waitedMs", p.waitedMillis()));
        }
    }

    /** What a running activation waits for: {@code {running, deployment, step, since}}. */
    private void activation(RoutingContext ctx) {
        String name = control.sites().get(ctx.pathParam("site")).name();
        JsonObject body = control.lifecycle().progress(name)
                .map(p -> new JsonObject().put("running", true).put("deployment", p.deployment()).put("step", p.step())
                        .put("since", p.since().toString()))
                .orElse(new JsonObject().put("running", false));
        json(ctx, 200, body);
    }

    private void rollback(RoutingContext ctx) {
        SiteEvent event = control.lifecycle().rollback(ctx.pathParam("site"), ifMatch(ctx), actor(ctx));
        dev.skewgate.model.Site after = control.sites().get(ctx.pathParam("site"));
        JsonObject answer = new JsonObject().put("changed", true).put("event", Wire.event(event))
                .put("site", Wire.site(after));
        after.activeDeployment().ifPresent(d -> propagation(answer, after.name(), d));
        json(ctx, 200, answer);
    }

    private void retire(RoutingContext ctx) {
        JsonObject body = body(ctx);
        SiteEvent event = control.lifecycle().retire(ctx.pathParam("site"), required(body, "deployment"), ifMatch(ctx), actor(ctx));
        json(ctx, 200, new JsonObject().put("event", Wire.event(event)));
    }

    private void promote(RoutingContext ctx) {
        JsonObject body = body(ctx);
        Deployment copy = control.lifecycle().promote(ctx.pathParam("id"), required(body, "site"), actor(ctx));
        json(ctx, 201, Wire.deployment(copy));
    }

    private static void config(RoutingContext ctx, Site site) {
        ctx.response().putHeader("etag", "\"" + site.config().revision() + "\"");
        json(ctx, 200, new JsonObject().put("revision", site.config().revision())
                .put("config", new JsonObject(site.config().json())));
    }

    /** PUT: the body becomes the whole config. */
    private void putConfig(RoutingContext ctx) {
        String name = ctx.pathParam("site");
        checkConfigRevision(ctx, control.sites().get(name));
        control.config().setConfig(name, configBody(ctx), force(ctx), actor(ctx));
        config(ctx, control.sites().get(name));
    }

    /** PATCH: a JSON merge patch (RFC 7396): keys set, a null removes a key, nested objects merge. */
    private void patchConfig(RoutingContext ctx) {
        String name = ctx.pathParam("site");
        Site site = control.sites().get(name);
        checkConfigRevision(ctx, site);
        com.fasterxml.jackson.databind.node.ObjectNode current;
        try {
            current = (com.fasterxml.jackson.databind.node.ObjectNode) MAPPER.readTree(site.config().json());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored config is not JSON", e);
        }
        com.fasterxml.jackson.databind.JsonNode patch = configBody(ctx);
        if (!patch.isObject()) {
            throw new InvalidRequestException("CONFIG_NOT_OBJECT", "a merge patch must be a JSON object");
        }
        com.fasterxml.jackson.databind.node.ObjectNode merged = MergePatch.apply(current, patch);
        control.config().setConfig(name, merged, force(ctx), actor(ctx));
        config(ctx, control.sites().get(name));
    }

    private static com.fasterxml.jackson.databind.JsonNode configBody(RoutingContext ctx) {
        Buffer raw = rawBody(ctx);
        if (raw == null || raw.length() == 0) {
            throw new InvalidRequestException("CONFIG_NOT_OBJECT", "the body must be a JSON object");
        }
        if (raw.length() > dev.skewgate.control.ConfigRules.MAX_BYTES * 4) {
            throw new dev.skewgate.model.TooLargeException("CONFIG_TOO_LARGE", "the config body is far over the size limit");
        }
        try {
            return MAPPER.readTree(raw.getBytes());
        } catch (java.io.IOException e) {
            throw new InvalidRequestException("INVALID_JSON", "the body is not valid JSON: " + e.getMessage());
        }
    }

    private static void checkConfigRevision(RoutingContext ctx, Site site) {
        Optional<Long> expected = ifMatch(ctx);
        if (expected.isPresent() && expected.get() != site.config().revision()) {
            throw new dev.skewgate.model.PreconditionFailedException("STALE_REVISION", "the config of site '"
                    + site.name() + "' is at revision " + site.config().revision() + ", not " + expected.get());
        }
    }

    /** The env as the API shows it: names and lengths, every value masked. */
    private static void env(RoutingContext ctx, dev.skewgate.control.ServerEnv.Masked env) {
        JsonArray keys = new JsonArray();
        env.keys().forEach(k -> keys.add(new JsonObject().put("name", k.name()).put("value", "\u2022".repeat(6))
                .put("length", k.length())));
        json(ctx, 200, new JsonObject().put("revision", env.revision()).put("keys", keys));
    }

    /** PATCH {@code {"set":{"K":"v"},"unset":["K2"]}}. */
    private void patchEnv(RoutingContext ctx) {
        JsonObject body = body(ctx);
        Map<String, String> set = new java.util.LinkedHashMap<>();
        Object rawSet = body.getValue("set");
        if (rawSet != null && !(rawSet instanceof JsonObject)) {
            throw new InvalidRequestException("INVALID_FIELD", "'set' must be an object of names to string values");
        }
        if (rawSet instanceof JsonObject o) {
            for (String key : o.fieldNames()) {
                if (!(o.getValue(key) instanceof String value)) {
                    throw new InvalidRequestException("INVALID_ENV_VALUE", "every value in 'set' must be a string");
                }
                set.put(key, value);
            }
        }
        java.util.Set<String> unset = new java.util.LinkedHashSet<>();
        Object rawUnset = body.getValue("unset");
        if (rawUnset != null && !(rawUnset instanceof JsonArray)) {
            throw new InvalidRequestException("INVALID_FIELD", "'unset' must be an array of names");
        }
        if (rawUnset instanceof JsonArray a) {
            for (Object key : a) {
                if (!(key instanceof String name)) {
                    throw new InvalidRequestException("INVALID_ENV_KEY", "'unset' must hold names (strings)");
                }
                unset.add(name);
            }
        }
        env(ctx, control.env().change(ctx.pathParam("site"), set, unset, actor(ctx)));
    }

    private static boolean force(RoutingContext ctx) {
        return "true".equals(ctx.request().getParam("force"));
    }

    /**
     * The operator's questions at a glance: which version is live, how many open tabs and requests each version still
     * has, whether anything reaches a retired one, and the last synthetic check of every host name.
     */
    /**
     * The nodes sharing the store, from the last heartbeat: each with its address, how long ago it reported (by the
     * store's clock), whether it still counts, what it serves and its own totals. One entry on a single node.
     */
    private JsonObject nodes() {
        JsonArray out = new JsonArray();
        for (dev.skewgate.store.Nodes.Seen seen : control.running().nodes()) {
            dev.skewgate.store.NodeReport r = seen.report();
            int tabs = r.tabs().values().stream().flatMap(m -> m.values().stream()).mapToInt(Integer::intValue).sum();
            long minute = r.deployments().values().stream().mapToLong(dev.skewgate.store.NodeReport.Counts::lastMinute)
                    .sum();
            int sockets = r.deployments().values().stream()
                    .mapToInt(dev.skewgate.store.NodeReport.Counts::webSockets).sum();
            out.add(new JsonObject()
                    .put("node", r.node())
                    .put("address", r.address())
                    .put("startedAt", r.startedAt().toString())
                    .put("secondsSinceHeartbeat", seen.sinceHeartbeat().toMillis() / 1000.0)
                    .put("live", seen.live())
                    .put("serving", new JsonObject(new java.util.TreeMap<>(r.serving())))
                    .put("openTabs", tabs)
                    .put("webSockets", sockets)
                    .put("requestsLastMinute", minute));
        }
        return new JsonObject().put("nodes", out);
    }

    private void status(RoutingContext ctx) {
        String name = ctx.pathParam("site");
        Site site = control.sites().get(name);
        List<Deployment> deployments = control.sites().deployments(name);
        java.util.Map<String, Integer> open = control.running().openTabs(name);
        JsonArray rows = new JsonArray();
        JsonArray alerts = new JsonArray();
        for (Deployment d : deployments) {
            Running.Activity activity = control.running().activity(d.id());
            JsonObject row = Wire.deployment(d)
                    .put("openTabs", open.getOrDefault(d.id(), 0))
                    .put("webSockets", activity.webSockets())
                    .put("requestsLastMinute", activity.requestsLastMinute())
                    .put("requestsLast5Minutes", activity.requestsLast5Minutes())
                    .put("lastRequest", activity.lastRequest().map(Object::toString).orElse(null));
            if (d.backend().filter(dev.skewgate.model.Backend::isManaged).isPresent()) {
                String state = control.backends().state(d.id()).orElse("stopped");
                JsonArray instances = new JsonArray();
                for (var i : control.backends().instances(d.id())) {
                    instances.add(BackendWire.instance(i));
                }
                row.put("backendState", state).put("instances", instances);
                if (state.equals("failing")) {
                    String why = control.backends().problem(d.id()).orElse("it is crash-looping");
                    alerts.add(new JsonObject().put("kind", "BACKEND_FAILING").put("deployment", d.id())
                            .put("message", "the backend of " + d.id() + " is failing: " + why));
                }
            }
            if (d.state() == dev.skewgate.model.DeploymentState.RETIRED || d.state() == dev.skewgate.model.DeploymentState.PURGED) {
                long late = activity.requestsAfterRetirementLast5Minutes();
                row.put("requestsAfterRetirementLast5Minutes", late);
                if (late > 0) {
                    alerts.add(new JsonObject().put("deployment", d.id())
                            .put("requestsLast5Minutes", late)
                            .put("lastClient", activity.lastRetiredClient().orElse(null))
                            .put("message", "traffic to retired deployment " + d.id() + ": " + late
                                    + (late == 1 ? " request" : " requests") + " in the last 5 min"));
                }
            }
            rows.add(row);
        }
        JsonArray certs = new JsonArray();
        for (String host : site.hosts()) {
            var served = certificates.forHost(host);
            served.ifPresent(c -> {
                if (c.expiringSoon()) {
                    alerts.add(new JsonObject().put("kind", "CERTIFICATE_EXPIRING").put("host", host)
                            .put("message", "the certificate for " + host + " expires on " + c.notAfter().orElseThrow()));
                }
                if (c.rateLimitedUntil().isPresent()) {
                    alerts.add(new JsonObject().put("kind", "CERTIFICATE_RATE_LIMITED").put("host", host)
                            .put("message", "the ACME CA rate-limited the order for " + host + " until "
                                    + c.rateLimitedUntil().get() + " (" + c.error().orElse("") + "); "
                                    + (c.notAfter().isPresent() ? "the current certificate keeps serving"
                                    : "the host has no certificate yet") + "; the gateway orders again at "
                                    + c.nextAttempt().orElseThrow() + ", not before"));
                } else if (c.error().isPresent() && c.source().equals("acme")) {
                    alerts.add(new JsonObject().put("kind", "CERTIFICATE_ORDER_FAILED").put("host", host)
                            .put("message", "the ACME order for " + host + " failed (" + c.error().get() + "); "
                                    + (c.notAfter().isPresent() ? "the current certificate keeps serving"
                                    : "the host has no certificate yet") + "; it is retried with backoff, or now "
                                    + "with: skewgate cert renew --host " + host));
                } else if (c.error().isPresent()) {
                    alerts.add(new JsonObject().put("kind", "CERTIFICATE_REFUSED").put("host", host)
                            .put("message", "the changed certificate files for " + c.host() + " were refused ("
                                    + c.error().get() + "); the previous certificate keeps serving"));
                }
            });
            certs.add(served.map(c -> certificate(c).put("host", host).put("coveredBy", c.host()))
                    .orElse(new JsonObject().put("host", host).put("source", null)));
        }
        JsonArray checks = new JsonArray();
        for (var c : control.checks().latest(name)) {
            checks.add(new JsonObject().put("host", c.host()).put("check", c.check()).put("deployment", c.deployment())
                    .put("ok", c.ok()).put("detail", c.detail()).put("at", c.at().toString()));
        }
        json(ctx, 200, new JsonObject()
                .put("site", Wire.site(site))
                .put("deployments", rows)
                .put("openClients", new JsonObject(new java.util.TreeMap<>(open)))
                .put("alerts", alerts)
                .put("certificates", certs)
                .put("checks", checks));
    }

    private static JsonObject certificate(CertificateManager.View c) {
        return new JsonObject().put("host", c.host()).put("source", c.source())
                .put("issuer", c.issuer().orElse(null))
                .put("notAfter", c.notAfter().map(Object::toString).orElse(null))
                .put("names", new JsonArray(c.names()))
                .put("certFile", c.certFile().orElse(null)).put("keyFile", c.keyFile().orElse(null))
                .put("error", c.error().orElse(null))
                .put("expiringSoon", c.expiringSoon())
                .put("nextAttempt", c.nextAttempt().map(Object::toString).orElse(null))
                .put("rateLimitedUntil", c.rateLimitedUntil().map(Object::toString).orElse(null));
    }

    private Deployment activeOf(String site) {
        String active = control.sites().get(site).activeDeployment().orElseThrow(() -> new dev.skewgate.model.ConflictException(
                "NO_ACTIVE_DEPLOYMENT", "site '" + site + "' has no active deployment; name the deployment"));
        return control.sites().deployment(active);
    }

    /** Followers of a log at once: each holds a worker thread while it follows. */
    private final java.util.concurrent.Semaphore followers = new java.util.concurrent.Semaphore(8);

    /** A deployment's backend logs as text, one line each; with follow=true, new lines stream until the client leaves. */
    private void logs(RoutingContext ctx, Deployment d) {
        if (d.backend().filter(dev.skewgate.model.Backend::isManaged).isEmpty()) {
            throw new dev.skewgate.model.ConflictException("NOT_MANAGED", "deployment " + d.id()
                    + " has no backend the gateway runs, so it has no logs here");
        }
        java.util.OptionalInt instance = java.util.OptionalInt.empty();
        String rawInstance = ctx.request().getParam("instance");
        if (rawInstance != null) {
            try {
                instance = java.util.OptionalInt.of(Integer.parseInt(rawInstance));
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("INVALID_INSTANCE", "instance must be a number, e.g. 1");
            }
            int count = d.backend().flatMap(dev.skewgate.model.Backend::managed).orElseThrow().instances();
            if (instance.getAsInt() < 1 || instance.getAsInt() > count) {
                throw new dev.skewgate.model.NotFoundException("NO_SUCH_INSTANCE", "deployment " + d.id() + " has "
                        + (count == 1 ? "1 instance (1)" : count + " instances (1 to " + count + ")") + ", not "
                        + instance.getAsInt());
            }
        }
        int lines = 200;
        String rawLines = ctx.request().getParam("lines");
        if (rawLines != null) {
            try {
                lines = Math.max(1, Math.min(100_000, Integer.parseInt(rawLines)));
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("INVALID_LINES", "lines must be a number, e.g. 200");
            }
        }
        String rawSince = ctx.request().getParam("since");
        Optional<java.time.Instant> since = rawSince == null ? Optional.empty()
                : Optional.of(java.time.Instant.now().minus(dev.skewgate.model.Durations.parse(rawSince)));
        boolean follow = "true".equals(ctx.request().getParam("follow"));
        var response = ctx.response();
        List<String> past = control.backends().logs(d.site(), d.id(), instance, since, lines);
        response.putHeader("content-type", "text/plain; charset=utf-8").putHeader("cache-control", "no-store");
        if (!follow) {
            StringBuilder text = new StringBuilder();
            past.forEach(l -> text.append(l).append('\n'));
            response.setStatusCode(200).end(text.toString());
            return;
        }
        if (!followers.tryAcquire()) {
            throw new dev.skewgate.model.ConflictException("TOO_MANY_FOLLOWERS", "8 log followers are connected already");
        }
        try {
            java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
            response.setChunked(true).setStatusCode(200);
            response.closeHandler(v -> gone.set(true));
            past.forEach(l -> response.write(l + "\n"));
            control.backends().follow(d.site(), d.id(), instance, line -> response.write(line + "\n"),
                    () -> gone.get() || response.closed());
            if (!response.closed()) {
                response.end();
            }
        } finally {
            followers.release();
        }
    }

    private void events(RoutingContext ctx) {
        int limit = 50;
        String raw = ctx.request().getParam("limit");
        if (raw != null) {
            try {
                limit = Integer.parseInt(raw);
            } catch (NumberFormatException e) {
                throw new InvalidRequestException("INVALID_LIMIT", "limit must be a number");
            }
            if (limit < 1 || limit > 1000) {
                throw new InvalidRequestException("INVALID_LIMIT", "limit must be 1..1000");
            }
        }
        json(ctx, 200, new JsonObject().put("events",
                new JsonArray(control.sites().events(ctx.pathParam("site"), limit).stream().map(Wire::event).toList())));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    private static void site(RoutingContext ctx, int status, Site site) {
        ctx.response().putHeader("etag", "\"" + site.revision() + "\"");
        json(ctx, status, Wire.site(site));
    }

    private static Optional<Long> ifMatch(RoutingContext ctx) {
        String raw = ctx.request().getHeader("If-Match");
        if (raw == null || raw.trim().equals("*")) {
            return Optional.empty();
        }
        String v = raw.trim();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        v = v.replace("\"", "");
        try {
            return Optional.of(Long.parseLong(v));
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("INVALID_IF_MATCH", "If-Match must be the site's ETag, e.g. \"7\"");
        }
    }

    private static String actor(RoutingContext ctx) {
        String actor = ctx.request().getHeader("X-Skewgate-Actor");
        if (actor == null || actor.isBlank()) {
            return "admin-api";
        }
        String clean = actor.replaceAll("[^A-Za-z0-9@._+-]", "_");
        return clean.substring(0, Math.min(clean.length(), 100));
    }

    private static JsonObject body(RoutingContext ctx) {
        Buffer raw = rawBody(ctx);
        if (raw == null || raw.length() == 0) {
            return new JsonObject();
        }
        try {
            Object parsed = io.vertx.core.json.Json.decodeValue(raw);
            if (parsed instanceof JsonObject o) {
                return o;
            }
        } catch (DecodeException e) {
            throw new InvalidRequestException("INVALID_JSON", "the body is not valid JSON: " + e.getMessage());
        }
        throw new InvalidRequestException("INVALID_JSON", "the body must be a JSON object");
    }

    private static String required(JsonObject body, String field) {
        String value = typed(body, field, String.class);
        if (value == null || value.isBlank()) {
            throw new InvalidRequestException("MISSING_FIELD", "'" + field + "' is required");
        }
        return value;
    }





    /** Answers {@code body} as the admin API's JSON (never cached). */
    public static void json(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status)
                .putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store")
                .end(body.encodePrettily() + "\n");
    }

    /** Answers the admin API's error shape {@code {"error": code, "message": message}}. */
    public static void error(RoutingContext ctx, int status, String code, String message) {
        json(ctx, status, new JsonObject().put("error", code).put("message", message));
    }

    private void failure(RoutingContext ctx) {
        Throwable t = ctx.failure();
        if (t instanceof SkewgateException e) {
            if (e.getCause() != null) {
                LOG.warn("{} {} answered {} {}: {}", ctx.request().method(), ctx.request().path(), e.status(), e.code(),
                        e.getCause().toString());
            }
            error(ctx, e.status(), e.code(), e.getMessage());
        } else if (t instanceof StoreFailure e) {
            // One line: a database away answers every write this way for as long as it is away (the trace at debug).
            LOG.warn("{} {} answered 503 STORE_UNAVAILABLE: {}", ctx.request().method(), ctx.request().path(),
                    e.getMessage());
            LOG.debug("store failure", e);
            error(ctx, 503, "STORE_UNAVAILABLE", "the metadata store failed; nothing was changed: " + e.getMessage());
        } else if (t == null && ctx.statusCode() == 413) {
            error(ctx, 413, "BODY_TOO_LARGE", "the request body is larger than " + MAX_JSON_BODY + " bytes");
        } else if (t == null && ctx.statusCode() >= 400) {
            error(ctx, ctx.statusCode(), "BAD_REQUEST", "the request could not be processed");
        } else {
            String id = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffffL);
            LOG.error("admin request {} {} {} failed", id, ctx.request().method(), ctx.request().path(), t);
            error(ctx, 500, "INTERNAL", "internal error " + id + "; see the gateway log");
        }
    }
}
