package dev.skewgate.control;

import dev.skewgate.model.RuntimeConfig;
import dev.skewgate.model.SiteEvent;
import dev.skewgate.push.ChangeNotice;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The notices a node that made some changes sent its tabs, rebuilt from the stored events of those changes by a node
 * that learns of them later (another node's change, or one it missed): the same event number, name and data.
 */
final class StoredNotices {

    private StoredNotices() {
    }

    /** One event and what its tabs are told about it. */
    record Told(SiteEvent event, ChangeNotice notice) {
    }

    /**
     * The notices for {@code events} (oldest first; events tabs are not told about are left out). {@code config} is
     * the site's config now (empty for a deleted site): a config event carries its revision, counted back from the
     * current one, and the config itself only when it is the newest, as the origin sent it.
     */
    static List<Told> of(List<SiteEvent> events, Optional<RuntimeConfig> config) {
        List<Told> out = new ArrayList<>();
        long configsAfter = events.stream().filter(e -> e.type().equals("config")).count();
        for (SiteEvent e : events) {
            String site = e.site();
            switch (e.type()) {
                case "activate", "rollback" -> e.deployment().ifPresent(d -> out.add(new Told(e,
                        new ChangeNotice.Switched(site, e.seq(), d, e.previous(), e.type()))));
                case "retire" -> e.deployment().ifPresent(d -> out.add(new Told(e,
                        new ChangeNotice.Retired(site, e.seq(), d))));
                case "notify" -> e.deployment().ifPresent(v -> out.add(new Told(e,
                        new ChangeNotice.External(site, e.seq(), v))));
                case "config" -> {
                    configsAfter--;
                    if (config.isPresent()) {
                        RuntimeConfig now = config.get();
                        boolean newest = configsAfter == 0;
                        Optional<String> inline = newest && now.json().length() <= ChangeNotice.ConfigChanged.INLINE_LIMIT
                                ? Optional.of(now.json()) : Optional.empty();
                        out.add(new Told(e, new ChangeNotice.ConfigChanged(site, e.seq(), now.revision() - configsAfter,
                                inline)));
                    }
                }
                default -> {
                    // deploys, site settings, env, webhook secrets: nothing open tabs are told about
                }
            }
        }
        return out;
    }
}
