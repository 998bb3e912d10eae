package dev.skewgate.control;

import dev.skewgate.model.Deployment;
import dev.skewgate.model.DeploymentState;
import dev.skewgate.model.EventDraft;
import dev.skewgate.model.Retention;
import dev.skewgate.model.Site;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.store.BlobStore;
import dev.skewgate.store.Store;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention, site by site ({@link RetentionRules} decides): retires previous deployments past their window or idle,
 * purges retired ones, removes abandoned uploads, then deletes the blobs no manifest references any more.
 */
public final class RetentionPass {

    private static final Logger LOG = LoggerFactory.getLogger(RetentionPass.class);

    private final ChangeCore core;
    private final Store store;
    private final BlobStore blobs;
    private final Uploads uploads;
    private final Lifecycle lifecycle;
    private final Running running;
    private final Clock clock;
    private final ControlEvents events;

    RetentionPass(ChangeCore core, BlobStore blobs, Uploads uploads, Lifecycle lifecycle, Running running, Clock clock,
                  ControlEvents events) {
        this.events = events;
        this.core = core;
        this.store = core.store();
        this.blobs = blobs;
        this.uploads = uploads;
        this.lifecycle = lifecycle;
        this.running = running;
        this.clock = clock;
    }

    /** One pass over every site; each site's part is one change of that site only. */
    public RetentionReport run() {
        Instant now = clock.instant();
        Outcome all = new Outcome(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (String deleted : store.deletedSites()) {
            // A deleted site's deployments were retired when it was deleted; its blobs are released on schedule.
            if (store.deployments(deleted).stream().anyMatch(d -> RetentionRules.purge(d, Retention.DEFAULT.purgeAfter(), now))) {
                all.purged().addAll(core.change(deleted, () -> {
                    List<String> purged = new ArrayList<>();
                    for (Deployment d : store.deployments(deleted)) {
                        if (RetentionRules.purge(d, Retention.DEFAULT.purgeAfter(), now)) {
                            store.purge(d.id());
                            purged.add(d.id());
                        }
                    }
                    return purged;
                }));
            }
        }
        for (Site site : store.sites()) {
            if (decide(site, store.deployments(site.name()), now).isEmpty()) {
                continue;
            }
            try {
                retainSite(site, now, all);
            } catch (RuntimeException e) {
                // One site's refused change (its snapshot cannot be built) must not stop the others' retention.
                LOG.warn("retention of site {} failed, will retry: {}", site.name(), e.getMessage());
            }
        }
        int deleted = uploads.collecting(this::collectBlobs);
        if (!all.retired().isEmpty() || !all.purged().isEmpty() || !all.abandoned().isEmpty() || deleted > 0) {
            LOG.info("retention: retired {}, purged {}, removed abandoned uploads {}, deleted {} unreferenced blob(s)",
                    all.retired(), all.purged(), all.abandoned(), deleted);
        }
        if (!all.purged().isEmpty()) {
            events.purged(List.copyOf(all.purged()));
        }
        return new RetentionReport(List.copyOf(all.retired()), List.copyOf(all.purged()), List.copyOf(all.abandoned()),
                deleted);
    }

    private void retainSite(Site site, Instant now, Outcome all) {
        core.change(site.name(), () -> {
            // Decided again inside the change: the state it acts on is the state it read.
            Site current = store.site(site.name()).orElse(null);
            if (current == null) {
                return new Outcome(List.of(), List.of(), List.of(), List.of());
            }
            Plan p = decide(current, store.deployments(site.name()), now);
            List<SiteEvent> events = new ArrayList<>();
            for (int i = 0; i < p.retired().size(); i++) {
                String id = p.retired().get(i);
                events.add(store.retire(site.name(), id, EventDraft.about("retire", id, "retention", now,
                        p.reasons().get(i))));
            }
            p.purged().forEach(store::purge);
            p.abandoned().forEach(store::deleteAbandoned);
            return new Outcome(p.retired(), p.purged(), p.abandoned(), events);
        }, o -> {
            o.retireEvents().forEach(lifecycle::announceRetired);
            o.abandoned().forEach(uploads::abandoned);
            all.retired().addAll(o.retired());
            all.purged().addAll(o.purged());
            all.abandoned().addAll(o.abandoned());
            return o;
        });
    }

    /** What retention would do to one site now; nothing is written. */
    private Plan decide(Site site, List<Deployment> all, Instant now) {
        List<Deployment> previous = all.stream().filter(d -> d.state() == DeploymentState.PREVIOUS)
                .sorted(Comparator.comparing((Deployment d) -> d.demotedAt().orElse(Instant.EPOCH)).reversed())
                .toList();
        Plan plan = new Plan(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < previous.size(); i++) {
            Deployment d = previous.get(i);
            RetentionRules.retireReason(i, d, site.retention(), site.checks().retireWhenIdle(), idleSince(d), now)
                    .ifPresent(reason -> {
                        plan.retired().add(d.id());
                        plan.reasons().add(reason);
                    });
        }
        for (Deployment d : all) {
            if (RetentionRules.purge(d, site.retention().purgeAfter(), now)) {
                plan.purged().add(d.id());
            } else if (RetentionRules.abandoned(d, now)) {
                plan.abandoned().add(d.id());
            }
        }
        return plan;
    }

    /** Since when a previous deployment has had no request and no open connection ({@link Instant#MAX}: one is open). */
    private Instant idleSince(Deployment d) {
        Running.Activity activity = running.activity(d.id());
        if (activity.webSockets() > 0 || running.openTabs(d.site()).getOrDefault(d.id(), 0) > 0) {
            return Instant.MAX;
        }
        Instant demoted = d.demotedAt().orElse(Instant.EPOCH);
        return activity.lastRequest().filter(t -> t.isAfter(demoted)).orElse(demoted);
    }

    private int collectBlobs() {
        try {
            Set<String> referenced = store.referencedBlobs();
            int deleted = 0;
            for (String sha : blobs.list()) {
                if (!referenced.contains(sha)) {
                    blobs.delete(sha);
                    deleted++;
                }
            }
            return deleted;
        } catch (IOException e) {
            LOG.warn("blob garbage collection failed, will retry: {}", e.toString());
            return 0;
        }
    }

    private record Plan(List<String> retired, List<String> reasons, List<String> purged, List<String> abandoned) {
        boolean isEmpty() {
            return retired.isEmpty() && purged.isEmpty() && abandoned.isEmpty();
        }
    }

    private record Outcome(List<String> retired, List<String> purged, List<String> abandoned,
                           List<SiteEvent> retireEvents) {
    }
}
