package dev.skewgate.control;

import dev.skewgate.model.CheckResult;
import java.util.List;

/**
 * What the control plane tells the outside about its decisions, for counting (the metrics): refusals, check results
 * and purges. Switches that went live need no port here: every one is announced ({@code ChangeNotice.Switched}).
 */
public interface ControlEvents {

    /** Tells nobody: for tools and tests that run a control plane without metrics. */
    ControlEvents NONE = new ControlEvents() {
    };

    /** An activation of an existing site was refused with this error code. */
    default void activationRefused(String site, String code) {
    }

    /** Synthetic checks of a site ran (before a switch, or on the continuous interval). */
    default void checked(String site, List<CheckResult> results) {
    }

    /** These deployments were purged: they will never serve again. */
    default void purged(List<String> deployments) {
    }
}
