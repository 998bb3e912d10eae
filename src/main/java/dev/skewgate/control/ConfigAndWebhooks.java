package dev.skewgate.control;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.model.ConflictException;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.push.ChangeNotice;
import dev.skewgate.store.Store;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A site's runtime config (served outside the bundle and pushed to open tabs), its deploy-webhook secrets, and the
 * external deploys that webhook announces.
 */
public final class ConfigAndWebhooks {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final ChangeCore core;
    private final Store store;
    private final Sites sites;
    private final Clock clock;

    ConfigAndWebhooks(ChangeCore core, Sites sites, Clock clock) {
        this.core = core;
        this.store = core.store();
        this.sites = sites;
        this.clock = clock;
    }

    /** Replaces a site's runtime config (already merged by the caller as it wishes) and tells open tabs. */
    public SiteEvent setConfig(String siteName, JsonNode config, boolean force, String actor) {
        sites.get(siteName);
        String encoded = config == null ? "" : config.toString();
        ConfigRules.check(config, encoded, force);
        long[] revision = {0};
        return core.change(siteName, () -> {
            Site site = sites.get(siteName);
            if (encoded.equals(site.config().json())) {
                throw new ConflictException("CONFIG_UNCHANGED", "the config of site '" + siteName
                        + "' already has this value");
            }
            SiteEvent event = store.setConfig(siteName, encoded, EventDraft.of("config", actor, clock.instant(),
                    "revision " + (site.config().revision() + 1) + " (" + encoded.length() + " bytes)"));
            revision[0] = sites.get(siteName).config().revision();
            return event;
        }, event -> core.announce(event, new ChangeNotice.ConfigChanged(siteName, event.seq(), revision[0],
                encoded.length() <= ChangeNotice.ConfigChanged.INLINE_LIMIT ? Optional.of(encoded) : Optional.empty())));
    }

    /** A new webhook secret for the site; the newest previous one stays valid so senders can rotate. */
    public String rotateWebhookSecret(String siteName, String actor) {
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String secret = "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        core.change(siteName, () -> {
            Site site = sites.get(siteName);
            List<String> secrets = new ArrayList<>();
            secrets.add(secret);
            if (!site.webhookSecrets().isEmpty()) {
                secrets.add(site.webhookSecrets().get(0));
            }
            store.setWebhookSecrets(siteName, secrets, EventDraft.of("webhook.rotate", actor, clock.instant(),
                    secrets.size() + " secret(s) accepted"));
            return secret;
        });
        return secret;
    }

    /**
     * A frontend built and hosted elsewhere announced a new version through the signed webhook: audit it and tell open
     * tabs as an activation would. Nothing it serves changes, so there is no snapshot to build.
     */
    public SiteEvent notifyExternal(String siteName, String version, String message) {
        return core.serialized(siteName, () -> {
            sites.get(siteName);
            SiteEvent event = store.appendEvent(siteName, notifyDraft(version, message));
            return core.announce(event, new ChangeNotice.External(siteName, event.seq(), version));
        });
    }

    /**
     * The same for one signed webhook delivery: recorded with the event in one transaction and kept until
     * {@code expiresAt}, so a replay, even after a restart, is recognised; empty for a replay (nothing is told).
     */
    public Optional<SiteEvent> notifyExternalOnce(String siteName, String version, String message, String delivery,
                                                  Instant expiresAt) {
        return core.serialized(siteName, () -> {
            sites.get(siteName);
            return store.appendEventOnce(siteName, delivery, expiresAt, clock.instant(), notifyDraft(version, message))
                    .map(event -> core.announce(event, new ChangeNotice.External(siteName, event.seq(), version)));
        });
    }

    private EventDraft notifyDraft(String version, String message) {
        return new EventDraft("notify", Optional.of(version), Optional.empty(), "webhook", clock.instant(),
                message.isEmpty() ? "external deploy " + version : message);
    }
}
