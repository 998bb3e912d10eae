package dev.skewgate.control;

import dev.skewgate.model.CheckResult;
import dev.skewgate.model.Deployment;
import dev.skewgate.model.Site;
import dev.skewgate.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Synthetic checks of every live site on its interval, and their latest results (also those run before a switch).
 * With auto-rollback on, two failed rounds in a row roll the site back. The checks run outside every lock.
 */
public final class ContinuousChecks {

    private static final Logger LOG = LoggerFactory.getLogger(ContinuousChecks.class);

    private final ChangeCore core;
    private final Store store;
    private final SwitchGuard guard;
    private final Clock clock;
    private final ControlEvents events;
    private volatile Lifecycle lifecycle;
    private final Map<String, List<CheckResult>> lastChecks = new ConcurrentHashMap<>();
    private final Map<String, Integer> failedRounds = new ConcurrentHashMap<>();
    private final Map<String, Instant> lastRound = new ConcurrentHashMap<>();

    ContinuousChecks(ChangeCore core, SwitchGuard guard, Clock clock, ControlEvents events) {
        this.core = core;
        this.events = events;
        this.store = core.store();
        this.guard = guard;
        this.clock = clock;
    }

    /** Where auto-rollback goes (the two know each other: a switch records its checks here). */
    void lifecycle(Lifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    /** The latest synthetic check results of a site. */
    public List<CheckResult> latest(String siteName) {
        return lastChecks.getOrDefault(siteName, List.of());
    }

    void record(String site, List<CheckResult> results) {
        lastChecks.put(site, results);
        events.checked(site, results);
    }

    /** Forgets a deleted site. */
    void forget(String site) {
        lastChecks.remove(site);
        failedRounds.remove(site);
        lastRound.remove(site);
    }

    /** Re-checks the active deployment of every site whose check interval has passed. */
    public void run() {
        Instant now = clock.instant();
        for (Site site : store.sites()) {
            Duration every = site.checks().interval();
            if (every.isZero() || !site.checks().synthetic() || site.activeDeployment().isEmpty()) {
                continue;
            }
            Instant last = lastRound.get(site.name());
            if (last != null && last.plus(every).isAfter(now)) {
                continue;
            }
            lastRound.put(site.name(), now);
            String active = site.activeDeployment().get();
            Optional<Deployment> d = store.deployment(active);
            if (d.isEmpty()) {
                continue;
            }
            List<CheckResult> results = guard.synthetic(site, active, d.get().backend().or(site::defaultBackend));
            record(site.name(), results);
            boolean failed = results.stream().anyMatch(r -> !r.ok());
            if (!failed) {
                failedRounds.remove(site.name());
                continue;
            }
            int rounds = failedRounds.merge(site.name(), 1, Integer::sum);
            LOG.warn("site {}: synthetic checks of {} failed ({} round(s) in a row): {}", site.name(), active, rounds,
                    results.stream().filter(r -> !r.ok()).map(r -> r.host() + " " + r.check() + ": " + r.detail())
                            .toList());
            if (rounds >= 2 && site.checks().autoRollback()) {
                autoRollback(site.name(), active);
            }
        }
    }

    /** Rolls back only if what failed is still live: a switch meanwhile has already replaced it. */
    private void autoRollback(String siteName, String failing) {
        core.serialized(siteName, () -> {
            Optional<Site> current = store.site(siteName);
            if (current.isPresent() && current.get().activeDeployment().equals(Optional.of(failing))
                    && store.rollbackTarget(siteName).isPresent()) {
                LOG.warn("site {}: auto-rollback from {} after failed synthetic checks", siteName, failing);
                lifecycle.rollback(siteName, Optional.empty(), "auto-rollback");
                failedRounds.remove(siteName);
            }
            return null;
        });
    }
}
