package dev.skewgate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Activates a deployment and shows what the gateway waits for meanwhile (readiness probes, synthetic checks), as
 * {@code activate} and {@code deploy --activate} both do. A refused activation says what is left and what to do next.
 */
final class Activation {

    private static final Set<String> REFUSED = Set.of("BACKEND_NOT_READY", "SYNTHETIC_CHECK_FAILED", "RELEASE_FAILED");
    private static final long POLL_MS = 400;

    private Activation() {
    }

    /** POSTs the activation; prints each new step of the checks while it runs. Returns the API's answer. */
    static JsonNode run(AdminClient admin, String site, String deployment, PrintWriter out) {
        CompletableFuture<JsonNode> answer = CompletableFuture.supplyAsync(
                () -> admin.post("/v1/sites/" + site + "/activate", Map.of("deployment", deployment)));
        String shown = "";
        while (true) {
            try {
                return answer.get(POLL_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillChecking) {
                String step = step(admin, site, deployment);
                if (!step.isEmpty() && !step.equals(shown)) {
                    out.println("  " + step);
                    out.flush();
                    shown = step;
                }
            } catch (ExecutionException e) {
                throw refused(e.getCause(), admin, site, deployment);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted");
            }
        }
    }

    /**
     * The line about the other nodes when several share the store: how many serve the change and how fast, or which
     * still do not after the gateway's bound (they catch up by themselves; a node that stays behind needs a look).
     */
    static void nodes(JsonNode answer, PrintWriter out) {
        JsonNode nodes = answer.path("nodes");
        if (!nodes.isObject()) {
            return;
        }
        int serving = nodes.path("serving").size();
        long ms = nodes.path("waitedMs").asLong();
        if (nodes.path("lagging").isEmpty()) {
            out.println("served by all " + serving + " nodes (" + ms + " ms)");
            return;
        }
        java.util.List<String> lagging = new java.util.ArrayList<>();
        nodes.path("lagging").forEach(n -> lagging.add(n.asText()));
        out.println("WARNING: " + lagging.size() + " of " + (serving + lagging.size()) + " nodes did not serve it within "
                + ms + " ms: " + String.join(", ", lagging) + " (see skewgate status)");
    }

    private static String step(AdminClient admin, String site, String deployment) {
        try {
            JsonNode progress = admin.get("/v1/sites/" + site + "/activation");
            return deployment.equals(progress.path("deployment").asText()) ? progress.path("step").asText("") : "";
        } catch (CliException e) {
            return ""; // progress is a courtesy: an older gateway without the endpoint still activates
        }
    }

    private static RuntimeException refused(Throwable cause, AdminClient admin, String site, String deployment) {
        if (cause instanceof CliException e && REFUSED.contains(e.code())) {
            String state = state(admin, deployment);
            String retry = "run 'skewgate activate " + site + " " + deployment + "' again once it is fixed";
            // Only a staged deployment is clutter to drop: a previous one still serves the tabs pinned to it.
            String next = state.equals("staged")
                    ? deployment + " stays staged (nothing else changed): " + retry + ", or 'skewgate retire " + site
                    + " " + deployment + "' to drop it"
                    : deployment + " stays " + (state.isEmpty() ? "as it was" : state) + " (nothing else changed): " + retry;
            return new CliException(e.getMessage() + "\n" + next, e.code());
        }
        return cause instanceof RuntimeException r ? r : new CliException(String.valueOf(cause.getMessage()));
    }

    private static String state(AdminClient admin, String deployment) {
        try {
            return admin.get("/v1/deployments/" + deployment).path("state").asText("");
        } catch (CliException e) {
            return "";
        }
    }
}
