package dev.skewgate.routing;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the data plane needs to answer for one site: the active deployment, every other servable one by id
 * (previous and staged, for pinned clients), and the files of retained deployments so an old tab's lazy chunk still
 * loads after a new activation.
 *
 * @param hosts the host names it answers (exact, or {@code *.example.com} wildcards)
 * @param lenders per activated deployment, newest activation first, the files it may lend to an old tab (by request
 *     path; never an entry point;
 *     see {@link dev.skewgate.policy.RetainedLookup})
 * @param retired ids of retired (and purged) deployments, so a pin to one is recognised as such
 * @param pending ids of servable deployments not compiled yet: at a start only the active deployment of each site is
 *     compiled before the listeners bind, the others follow in the background. A request that may need one of them
 *     (pinned to it, or a file missing from its own deployment that an older one may lend) waits for them rather than
 *     being answered without them (see {@link Routes#compiled})
 * @param documents version.json and config.json, encoded once per snapshot
 * @param configAlias an extra path answering with config.json (for apps that already fetch their own)
 * @param webhookSecrets secrets the deploy webhook accepts (kept in memory only, never logged)
 * @param lastEventSeq the site's newest audit event number when the snapshot was built
 * @param hsts the {@code Strict-Transport-Security} value its responses over HTTPS carry, when the site has one
 * @param compressProxied whether proxied responses the backend left uncompressed are compressed on the fly
 */
public record SiteRoute(
        String name,
        List<String> hosts,
        Optional<DeploymentRoute> active,
        Optional<Instant> activatedAt,
        Map<String, DeploymentRoute> servable,
        List<Map<String, RetainedFile>> lenders,
        Set<String> retired,
        Set<String> pending,
        List<String> apiPrefixes,
        boolean spa,
        long configRevision,
        GatewayDocuments documents,
        Optional<String> configAlias,
        List<String> webhookSecrets,
        long lastEventSeq,
        Optional<CharSequence> hsts,
        boolean compressProxied) {

    /**
     * The file of the newest activated deployment that has this path and may lend it. Looked up on a miss only (an
     * old tab's lazy chunk), so a switch does not merge every deployment's files into one map.
     */
    public Optional<RetainedFile> retained(String path) {
        for (Map<String, RetainedFile> lender : lenders) {
            RetainedFile file = lender.get(path);
            if (file != null) {
                return Optional.of(file);
            }
        }
        return Optional.empty();
    }

    /** Whether every servable deployment is compiled: nothing a request may need is missing. */
    public boolean complete() {
        return pending.isEmpty();
    }

    /** Whether {@code deploymentId} is servable here but not compiled yet. */
    public boolean pending(String deploymentId) {
        return !pending.isEmpty() && pending.contains(deploymentId);
    }

    /** The deployment a pin names if it is servable here. */
    public Optional<DeploymentRoute> pinned(String deploymentId) {
        return Optional.ofNullable(servable.get(deploymentId));
    }
}
