package dev.skewgate.push;

import dev.skewgate.http.DataPlaneErrors;
import dev.skewgate.routing.SiteRoute;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code POST /_skewgate/notify}: a CI job tells the gateway that a frontend built and hosted elsewhere is live, and
 * open tabs are told as after an activation. Signed like Stripe's webhooks: header
 * {@code X-Skewgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">}; a 5-minute window; the body is
 * bounded before it is hashed; a delivery seen before is acknowledged but not broadcast again.
 */
public final class NotifyWebhook {

    public static final int MAX_BODY = 64 * 1024;
    static final long WINDOW_SECONDS = 300;

    /** What the webhook asks the control plane to do. */
    @FunctionalInterface
    public interface ExternalDeploys {
        /**
         * Unless the delivery was seen before, records it until {@code expiresAtEpochSecond}, audits the external
         * deploy and tells open tabs; returns how many were told, or empty for a replay. Blocking (the store).
         */
        java.util.OptionalInt announceOnce(String site, String version, String message, String delivery,
                                           long expiresAtEpochSecond);
    }

    private final Vertx vertx;
    private final ExternalDeploys deploys;

    public NotifyWebhook(Vertx vertx, ExternalDeploys deploys) {
        this.vertx = vertx;
        this.deploys = deploys;
    }

    public void handle(HttpServerRequest request, SiteRoute site) {
        String length = request.getHeader("content-length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY) {
                    tooLarge(request);
                    return;
                }
            } catch (NumberFormatException e) {
                DataPlaneErrors.json(request, 400, "INVALID_LENGTH", "Content-Length is not a number");
                return;
            }
        }
        Buffer body = Buffer.buffer();
        boolean[] over = {false};
        request.handler(chunk -> {
            if (over[0]) {
                return;
            }
            if (body.length() + chunk.length() > MAX_BODY) {
                over[0] = true;
                tooLarge(request);
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> {
            if (!over[0]) {
                verified(request, site, body);
            }
        });
    }

    private static void tooLarge(HttpServerRequest request) {
        request.response().putHeader("connection", "close");
        DataPlaneErrors.json(request, 413, "BODY_TOO_LARGE", "the webhook body is limited to " + MAX_BODY + " bytes");
    }

    private void verified(HttpServerRequest request, SiteRoute site, Buffer body) {
        if (site.webhookSecrets().isEmpty()) {
            DataPlaneErrors.json(request, 401, "WEBHOOK_NOT_CONFIGURED", "site '" + site.name()
                    + "' has no webhook secret yet; create one with: skewgate webhook rotate " + site.name());
            return;
        }
        String header = request.getHeader("X-Skewgate-Signature");
        if (header == null) {
            DataPlaneErrors.json(request, 401, "SIGNATURE_MISSING",
                    "X-Skewgate-Signature is required: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">");
            return;
        }
        java.util.Optional<Signature> signature = Signature.parse(header);
        if (signature.isEmpty()) {
            DataPlaneErrors.json(request, 401, "SIGNATURE_MALFORMED",
                    "X-Skewgate-Signature must look like t=1700000000,v1=<64 hex characters>");
            return;
        }
        long timestamp = signature.get().timestamp();
        java.util.List<String> signatures = signature.get().v1();
        long now = System.currentTimeMillis() / 1000;
        if (Math.abs(now - timestamp) > WINDOW_SECONDS) {
            DataPlaneErrors.json(request, 401, "SIGNATURE_EXPIRED", "the signature's timestamp is " + (now - timestamp)
                    + " s away from the gateway's clock; deliveries are accepted within " + WINDOW_SECONDS + " s");
            return;
        }
        byte[] signed = (timestamp + "." + body.toString(StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        String match = null;
        for (String secret : site.webhookSecrets()) {
            byte[] expected = hmac(secret, signed);
            for (String candidate : signatures) {
                byte[] given;
                try {
                    given = HexFormat.of().parseHex(candidate);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (MessageDigest.isEqual(expected, given)) { // constant time
                    match = candidate;
                }
            }
        }
        if (match == null) {
            DataPlaneErrors.json(request, 401, "SIGNATURE_INVALID",
                    "the signature does not match any webhook secret of site '" + site.name() + "'");
            return;
        }
        JsonObject payload;
        try {
            Object parsed = io.vertx.core.json.Json.decodeValue(body);
            if (!(parsed instanceof JsonObject o)) {
                throw new DecodeException("not an object");
            }
            payload = o;
        } catch (DecodeException e) {
            DataPlaneErrors.json(request, 400, "INVALID_JSON", "the body must be a JSON object like {\"deployment\":\"v42\"}");
            return;
        }
        Object version = payload.getValue("deployment");
        Object message = payload.getValue("message", "");
        if (!(version instanceof String v) || v.isBlank() || v.length() > 200 || !(message instanceof String m)
                || m.length() > 1000 || v.chars().anyMatch(c -> c < 0x20)) {
            DataPlaneErrors.json(request, 400, "INVALID_PAYLOAD",
                    "'deployment' must be a version string of 1-200 characters; 'message' an optional string");
            return;
        }
        // The replay guard lives in the store, with the audit event: a restart inside the window forgets nothing.
        String delivery = deliveryId(site.name(), timestamp, match);
        long expires = timestamp + WINDOW_SECONDS;
        vertx.executeBlocking(() -> deploys.announceOnce(site.name(), v, m, delivery, expires), false)
                .onSuccess(n -> {
                    if (n.isEmpty()) {
                        respond(request, 200, new JsonObject().put("status", "duplicate").put("notified", 0));
                    } else {
                        respond(request, 202, new JsonObject().put("status", "notified").put("notified", n.getAsInt()));
                    }
                })
                .onFailure(e -> DataPlaneErrors.json(request, 503, "NOTIFY_FAILED", "the notice was not recorded: "
                        + e.getMessage()));
    }

    /** A fixed-size id of one signed delivery: the same body signed at the same second by the same secret. */
    static String deliveryId(String site, long timestamp, String signature) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((site + "\n" + timestamp + "\n" + signature)
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }

    /**
     * A parsed {@code X-Skewgate-Signature}: {@code t=<unix seconds>} and one or more {@code v1=<hex>} (more than one
     * while a sender rotates secrets).
     *
     * @param v1 the candidate signatures (64 hex characters, lowercased), at most {@link #MAX_SIGNATURES}
     */
    record Signature(long timestamp, java.util.List<String> v1) {

        /** More candidates than a rotation needs only cost HMAC comparisons. */
        static final int MAX_SIGNATURES = 8;
        private static final java.util.regex.Pattern HEX64 = java.util.regex.Pattern.compile("[0-9a-f]{64}");

        /** Empty when there is no non-negative decimal {@code t=} or no well-formed {@code v1=}. */
        static java.util.Optional<Signature> parse(String header) {
            long timestamp = -1;
            java.util.List<String> signatures = new java.util.ArrayList<>();
            for (String part : header.split(",")) {
                String p = part.trim();
                if (p.startsWith("t=")) {
                    String digits = p.substring(2);
                    // Long.parseLong takes a sign and non-ASCII digits; a timestamp is ASCII digits only.
                    timestamp = !digits.isEmpty() && digits.length() <= 18 && digits.chars().allMatch(c -> c >= '0' && c <= '9')
                            ? Long.parseLong(digits) : -1;
                } else if (p.startsWith("v1=") && signatures.size() < MAX_SIGNATURES) {
                    // Only well-formed candidates count against the bound: junk could otherwise push out the real one.
                    String hex = p.substring(3).toLowerCase(java.util.Locale.ROOT);
                    if (HEX64.matcher(hex).matches()) {
                        signatures.add(hex);
                    }
                }
            }
            if (timestamp < 0 || signatures.isEmpty()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new Signature(timestamp, java.util.List.copyOf(signatures)));
        }
    }

    private static void respond(HttpServerRequest request, int status, JsonObject body) {
        request.response().setStatusCode(status).putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store").end(body.encode() + "\n");
    }

    /** HMAC-SHA256 of the bytes under the secret (also used by tests and the CLI to sign). */
    public static byte[] hmac(String secret, byte[] bytes) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(bytes);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("the JDK always has HmacSHA256", e);
        }
    }
}
