package dev.skewgate.admin;

import dev.skewgate.control.ControlPlane;
import dev.skewgate.control.DeploymentMeta;
import dev.skewgate.control.NewDeployment;
import dev.skewgate.control.SiteSpec;
import dev.skewgate.http.Readiness;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.Durations;
import dev.skewgate.model.HeaderRule;
import dev.skewgate.model.InvalidRequestException;
import dev.skewgate.model.ManifestEntry;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.model.SkewgateException;
import dev.skewgate.proxy.WebSocketTunnels;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.StoreFailure;
import dev.skewgate.traffic.TrafficMeter;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
    private final TrafficMeter traffic;
    private final WebSocketTunnels tunnels;
    private final Readiness readiness;

    /**
     * @param edgePort the data plane's bound port, reported by {@code /v1/health} so the CLI can print preview URLs
     * @param traffic per-deployment request counts for the status
     * @param tunnels open WebSockets per deployment for the status
     * @param readiness what {@code /v1/health/ready} answers
     */
    public AdminApi(ControlPlane control, AdminToken token, IntSupplier edgePort, TrafficMeter traffic,
                    WebSocketTunnels tunnels, Readiness readiness) {
        this.control = control;
        this.token = token;
        this.edgePort = edgePort;
        this.traffic = traffic;
        this.tunnels = tunnels;
        this.readiness = readiness;
    }

    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        // The probes need no token: they disclose nothing, and an orchestrator's probe has no token to send.
        router.get("/v1/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "live")));
        router.get("/v1/health/ready").handler(this::ready);
        router.route().handler(this::authenticate);
        // Blob bytes stream straight to the blob store; register before the body handler so they are not buffered.
        router.put("/v1/deployments/:id/blobs/:sha").handler(this::uploadBlob);
        router.route().handler(AdminApi::collectBody);

        router.get("/v1/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")
                .put("edgePort", edgePort.getAsInt())));
        router.get("/v1/sites").handler(ctx -> json(ctx, 200, new JsonObject().put("sites",
                new JsonArray(control.sites().stream().map(Wire::site).toList()))));
        router.post("/v1/sites").handler(this::createSite);
        router.get("/v1/sites/:site").handler(ctx -> site(ctx, 200, control.site(ctx.pathParam("site"))));
        router.patch("/v1/sites/:site").handler(this::updateSite);
        router.delete("/v1/sites/:site").handler(this::deleteSite);
        router.get("/v1/sites/:site/deployments").handler(ctx -> json(ctx, 200, new JsonObject().put("deployments",
                new JsonArray(control.deployments(ctx.pathParam("site")).stream().map(Wire::deployment).toList()))));
        router.post("/v1/sites/:site/deployments").handler(this::createDeployment);
        router.get("/v1/sites/:site/status").handler(this::status);
        router.get("/v1/sites/:site/events").handler(this::events);
        router.post("/v1/sites/:site/activate").handler(this::activate);
        router.get("/v1/sites/:site/activation").handler(this::activation);
        router.post("/v1/sites/:site/rollback").handler(this::rollback);
        router.post("/v1/sites/:site/retire").handler(this::retire);
        router.get("/v1/deployments/:id").handler(ctx -> json(ctx, 200, Wire.deployment(control.deployment(ctx.pathParam("id")))));
        router.get("/v1/deployments/:id/files").handler(ctx -> json(ctx, 200, new JsonObject().put("files",
                new JsonArray(control.files(ctx.pathParam("id")).stream().map(Wire::file).toList()))));
        router.post("/v1/deployments/:id/finalize").handler(ctx -> json(ctx, 200,
                Wire.deployment(control.finalizeDeployment(ctx.pathParam("id"), actor(ctx)))));
        router.post("/v1/deployments/:id/promote").handler(this::promote);
        router.get("/v1/sites/:site/config").handler(ctx -> config(ctx, control.site(ctx.pathParam("site"))));
        router.put("/v1/sites/:site/config").handler(this::putConfig);
        router.patch("/v1/sites/:site/config").handler(this::patchConfig);
        router.post("/v1/sites/:site/webhook-secrets").handler(ctx -> json(ctx, 201, new JsonObject()
                .put("secret", control.rotateWebhookSecret(ctx.pathParam("site"), actor(ctx)))
                .put("message", "keep this secret: it is shown once; the previous secret stays valid until the next rotation")));
        router.post("/v1/retention/run").handler(ctx -> json(ctx, 200, Wire.retention(control.runRetention())));
        router.route().handler(ctx -> error(ctx, 404, "NOT_FOUND", "no admin endpoint " + ctx.request().method()
                + " " + ctx.request().path()));
        router.route().failureHandler(this::failure);
        return router;
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
        Site site = control.createSite(name, spec(body), actor(ctx));
        site(ctx, 201, site);
    }

    private void updateSite(RoutingContext ctx) {
        Site site = control.updateSite(ctx.pathParam("site"), spec(body(ctx)), ifMatch(ctx), actor(ctx));
        site(ctx, 200, site);
    }

    private void deleteSite(RoutingContext ctx) {
        boolean force = "true".equals(ctx.request().getParam("force"));
        var deletion = control.deleteSite(ctx.pathParam("site"), force, ifMatch(ctx), actor(ctx));
        json(ctx, 200, new JsonObject().put("event", Wire.event(deletion.event()))
                .put("retired", new JsonArray(deletion.retired())));
    }

    private static SiteSpec spec(JsonObject body) {
        JsonObject retention = optionalObject(body, "retention");
        JsonObject client = optionalObject(body, "client");
        JsonObject checks = optionalObject(body, "checks");
        Optional<Map<String, String>> samples = Optional.empty();
        if (checks.containsKey("wildcardSamples")) {
            Map<String, String> m = new HashMap<>();
            optionalObject(checks, "wildcardSamples").forEach(e -> m.put(e.getKey(), String.valueOf(e.getValue())));
            samples = Optional.of(m);
        }
        Optional<List<HeaderRule>> rules = Optional.empty();
        if (body.containsKey("headerRules")) {
            List<HeaderRule> list = new ArrayList<>();
            for (Object o : array(body, "headerRules")) {
                if (!(o instanceof JsonObject rule) || !(rule.getValue("headers") instanceof JsonObject headers)) {
                    throw new InvalidRequestException("INVALID_HEADER_RULE", "each header rule is {\"glob\": ..., \"headers\": {...}}");
                }
                Map<String, String> h = new HashMap<>();
                headers.forEach(e -> h.put(e.getKey(), String.valueOf(e.getValue())));
                list.add(new HeaderRule(rule.getString("glob"), h));
            }
            rules = Optional.of(list);
        }
        return new SiteSpec(
                strings(body, "hosts"),
                strings(body, "apiPrefixes"),
                Optional.ofNullable(typed(body, "spa", Boolean.class)),
                Optional.ofNullable(typed(body, "entryPoint", String.class)),
                Optional.ofNullable(typed(retention, "skewWindow", String.class)).map(Durations::parse),
                Optional.ofNullable(typed(retention, "keepPrevious", Integer.class)),
                Optional.ofNullable(typed(retention, "purgeAfter", String.class)).map(Durations::parse),
                rules,
                Optional.ofNullable(typed(client, "injectSdk", Boolean.class)),
                Optional.ofNullable(typed(client, "strategy", String.class)),
                Optional.ofNullable(typed(client, "pollInterval", String.class)).map(Durations::parse),
                strings(client, "apiOrigins"),
                client.containsKey("configAlias")
                        ? Optional.of(Optional.ofNullable(typed(client, "configAlias", String.class)))
                        : Optional.empty(),
                body.containsKey("defaultBackend") ? Optional.of(backend(body, "defaultBackend")) : Optional.empty(),
                Optional.ofNullable(typed(checks, "readinessProbes", Integer.class)),
                Optional.ofNullable(typed(checks, "readinessTimeout", String.class)).map(Durations::parse),
                Optional.ofNullable(typed(checks, "synthetic", Boolean.class)),
                Optional.ofNullable(typed(checks, "interval", String.class)).map(Durations::parse),
                Optional.ofNullable(typed(checks, "autoRollback", Boolean.class)),
                checks.containsKey("retireWhenIdle")
                        ? Optional.of(Optional.ofNullable(typed(checks, "retireWhenIdle", String.class)).map(Durations::parse))
                        : Optional.empty(),
                samples);
    }

    /** A {@code {"upstreams": [...], "healthPath": "/..."}} field, or empty when it is null. */
    private static Optional<dev.skewgate.model.Backend> backend(JsonObject body, String field) {
        Object raw = body.getValue(field);
        if (raw == null) {
            return Optional.empty();
        }
        if (!(raw instanceof JsonObject b)) {
            throw new InvalidRequestException("INVALID_BACKEND", "'" + field + "' must be {\"upstreams\": [...], \"healthPath\": ...}");
        }
        List<String> upstreams = strings(b, "upstreams").orElseThrow(() ->
                new InvalidRequestException("INVALID_BACKEND", "'" + field + ".upstreams' is required"));
        return Optional.of(new dev.skewgate.model.Backend(upstreams,
                Optional.ofNullable(typed(b, "healthPath", String.class)).orElse("/")));
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
                backend(body, "backend"));
        NewDeployment created = control.beginDeployment(ctx.pathParam("site"), manifest, meta);
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
        BlobStore.BlobUpload upload = control.openBlob(ctx.pathParam("id"), sha);
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
        request.endHandler(v -> {
            try {
                upload.commit();
                json(ctx, 201, new JsonObject().put("sha256", sha));
            } catch (IOException | RuntimeException e) {
                abortQuietly(upload);
                ctx.fail(e);
            }
        });
        request.resume();
    }

    private static void abortQuietly(BlobStore.BlobUpload upload) {
        try {
            upload.abort();
        } catch (IOException e) {
            LOG.warn("could not remove a partial blob: {}", e.toString());
        }
    }

    private void activate(RoutingContext ctx) {
        JsonObject body = body(ctx);
        String id = required(body, "deployment");
        Optional<SiteEvent> event = control.activate(ctx.pathParam("site"), id, ifMatch(ctx), actor(ctx));
        json(ctx, 200, new JsonObject()
                .put("changed", event.isPresent())
                .put("event", event.map(Wire::event).orElse(null))
                .put("site", Wire.site(control.site(ctx.pathParam("site")))));
    }

    /** What a running activation waits for: {@code {running, deployment, step, since}}. */
    private void activation(RoutingContext ctx) {
        String name = control.site(ctx.pathParam("site")).name();
        JsonObject body = control.activationProgress(name)
                .map(p -> new JsonObject().put("running", true).put("deployment", p.deployment()).put("step", p.step())
                        .put("since", p.since().toString()))
                .orElse(new JsonObject().put("running", false));
        json(ctx, 200, body);
    }

    private void rollback(RoutingContext ctx) {
        SiteEvent event = control.rollback(ctx.pathParam("site"), ifMatch(ctx), actor(ctx));
        json(ctx, 200, new JsonObject().put("changed", true).put("event", Wire.event(event))
                .put("site", Wire.site(control.site(ctx.pathParam("site")))));
    }

    private void retire(RoutingContext ctx) {
        JsonObject body = body(ctx);
        SiteEvent event = control.retire(ctx.pathParam("site"), required(body, "deployment"), ifMatch(ctx), actor(ctx));
        json(ctx, 200, new JsonObject().put("event", Wire.event(event)));
    }

    private void promote(RoutingContext ctx) {
        JsonObject body = body(ctx);
        Deployment copy = control.promote(ctx.pathParam("id"), required(body, "site"), actor(ctx));
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
        checkConfigRevision(ctx, control.site(name));
        control.setConfig(name, configBody(ctx), force(ctx), actor(ctx));
        config(ctx, control.site(name));
    }

    /** PATCH: a JSON merge patch (RFC 7396): keys set, a null removes a key, nested objects merge. */
    private void patchConfig(RoutingContext ctx) {
        String name = ctx.pathParam("site");
        Site site = control.site(name);
        checkConfigRevision(ctx, site);
        com.fasterxml.jackson.databind.node.ObjectNode merged;
        try {
            merged = (com.fasterxml.jackson.databind.node.ObjectNode) MAPPER.readTree(site.config().json());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored config is not JSON", e);
        }
        com.fasterxml.jackson.databind.JsonNode patch = configBody(ctx);
        if (!patch.isObject()) {
            throw new InvalidRequestException("CONFIG_NOT_OBJECT", "a merge patch must be a JSON object");
        }
        mergePatch(merged, patch);
        control.setConfig(name, merged, force(ctx), actor(ctx));
        config(ctx, control.site(name));
    }

    private static void mergePatch(com.fasterxml.jackson.databind.node.ObjectNode target,
                                   com.fasterxml.jackson.databind.JsonNode patch) {
        patch.fields().forEachRemaining(f -> {
            if (f.getValue().isNull()) {
                target.remove(f.getKey());
            } else if (f.getValue().isObject() && target.get(f.getKey()) instanceof
                    com.fasterxml.jackson.databind.node.ObjectNode inner) {
                mergePatch(inner, f.getValue());
            } else {
                target.set(f.getKey(), f.getValue());
            }
        });
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

    private static boolean force(RoutingContext ctx) {
        return "true".equals(ctx.request().getParam("force"));
    }

    /**
     * The operator's questions at a glance: which version is live, how many open tabs and requests each version still
     * has, whether anything reaches a retired one, and the last synthetic check of every host name.
     */
    private void status(RoutingContext ctx) {
        String name = ctx.pathParam("site");
        Site site = control.site(name);
        List<Deployment> deployments = control.deployments(name);
        java.util.Map<String, Integer> open = control.openClients(name);
        JsonArray rows = new JsonArray();
        JsonArray alerts = new JsonArray();
        for (Deployment d : deployments) {
            TrafficMeter.Usage usage = traffic.usage(d.id());
            JsonObject row = Wire.deployment(d)
                    .put("openTabs", open.getOrDefault(d.id(), 0))
                    .put("webSockets", tunnels.open(d.id()))
                    .put("requestsLastMinute", usage.lastMinute())
                    .put("requestsLast5Minutes", usage.last5Minutes())
                    .put("lastRequest", usage.lastRequest().map(Object::toString).orElse(null));
            if (d.state() == dev.skewgate.model.DeploymentState.RETIRED || d.state() == dev.skewgate.model.DeploymentState.PURGED) {
                TrafficMeter.Usage late = traffic.retiredUsage(d.id());
                row.put("requestsAfterRetirementLast5Minutes", late.last5Minutes());
                if (late.last5Minutes() > 0) {
                    alerts.add(new JsonObject().put("deployment", d.id())
                            .put("requestsLast5Minutes", late.last5Minutes())
                            .put("lastClient", traffic.retiredClient(d.id()).orElse(null))
                            .put("message", "traffic to retired deployment " + d.id() + ": " + late.last5Minutes()
                                    + (late.last5Minutes() == 1 ? " request" : " requests") + " in the last 5 min"));
                }
            }
            rows.add(row);
        }
        JsonArray checks = new JsonArray();
        for (var c : control.lastChecks(name)) {
            checks.add(new JsonObject().put("host", c.host()).put("check", c.check()).put("deployment", c.deployment())
                    .put("ok", c.ok()).put("detail", c.detail()).put("at", c.at().toString()));
        }
        json(ctx, 200, new JsonObject()
                .put("site", Wire.site(site))
                .put("deployments", rows)
                .put("openClients", new JsonObject(new java.util.TreeMap<>(open)))
                .put("alerts", alerts)
                .put("checks", checks));
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
                new JsonArray(control.events(ctx.pathParam("site"), limit).stream().map(Wire::event).toList())));
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

    private static <T> T typed(JsonObject body, String field, Class<T> type) {
        Object v = body.getValue(field);
        if (v == null) {
            return null;
        }
        if (type == Integer.class && v instanceof Number n) {
            return type.cast(n.intValue());
        }
        if (!type.isInstance(v)) {
            throw new InvalidRequestException("INVALID_FIELD", "'" + field + "' must be a " + type.getSimpleName().toLowerCase());
        }
        return type.cast(v);
    }

    private static JsonObject optionalObject(JsonObject body, String field) {
        JsonObject o = typed(body, field, JsonObject.class);
        return o == null ? new JsonObject() : o;
    }

    private static JsonArray array(JsonObject body, String field) {
        JsonArray a = typed(body, field, JsonArray.class);
        if (a == null) {
            throw new InvalidRequestException("MISSING_FIELD", "'" + field + "' is required (an array)");
        }
        return a;
    }

    private static Optional<List<String>> strings(JsonObject body, String field) {
        if (!body.containsKey(field)) {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        for (Object o : array(body, field)) {
            if (!(o instanceof String s)) {
                throw new InvalidRequestException("INVALID_FIELD", "'" + field + "' must be an array of strings");
            }
            out.add(s);
        }
        return Optional.of(out);
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        if (ctx.response().ended()) {
            return;
        }
        ctx.response().setStatusCode(status)
                .putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store")
                .end(body.encodePrettily() + "\n");
    }

    private static void error(RoutingContext ctx, int status, String code, String message) {
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
            LOG.error("store failure on {} {}: {}", ctx.request().method(), ctx.request().path(), e.getMessage(), e);
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
