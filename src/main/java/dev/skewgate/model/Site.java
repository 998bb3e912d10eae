package dev.skewgate.model;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One web app in one environment: its host names, how its files are served, and which deployment is live.
 *
 * @param defaultBackend the backend of deployments that bring none of their own
 * @param backendDefaults what a deployment bringing its backend as a folder takes for each setting it leaves out
 * @param responses what the gateway adds to its responses (HSTS, compression of proxied responses)
 * @param webhookSecrets HMAC secrets accepted by the deploy webhook, newest first (two during a rotation)
 * @param revision increases with every change to the site or its active pointer; the admin API's ETag
 */
public record Site(
        String name,
        List<String> hosts,
        List<String> apiPrefixes,
        boolean spa,
        String entryPoint,
        Retention retention,
        List<HeaderRule> headerRules,
        ClientSettings client,
        RuntimeConfig config,
        List<String> webhookSecrets,
        Optional<Backend> defaultBackend,
        CheckSettings checks,
        BackendDefaults backendDefaults,
        ResponseSettings responses,
        Optional<String> activeDeployment,
        long revision,
        Instant createdAt) {

    public Site {
        hosts = List.copyOf(hosts);
        apiPrefixes = List.copyOf(apiPrefixes);
        headerRules = List.copyOf(headerRules);
        webhookSecrets = List.copyOf(webhookSecrets);
    }
}
