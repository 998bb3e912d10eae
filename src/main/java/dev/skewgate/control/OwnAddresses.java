package dev.skewgate.control;

import dev.skewgate.model.Backend;
import dev.skewgate.model.Site;
import dev.skewgate.store.Store;
import java.util.HashSet;
import java.util.Set;

/** The gateway's own ports and host names, so no backend is pointed back at the gateway itself. */
final class OwnAddresses {

    private final Store store;
    private volatile Set<Integer> ports = Set.of();

    OwnAddresses(Store store) {
        this.store = store;
    }

    /** Set once the listeners are bound. */
    void ports(Set<Integer> ports) {
        this.ports = Set.copyOf(ports);
    }

    /** The backend normalized, or why it may not be used ({@link BackendRules}). */
    Backend check(Backend backend) {
        Set<String> hosts = new HashSet<>();
        for (Site s : store.sites()) {
            hosts.addAll(s.hosts());
        }
        return BackendRules.check(backend, ports, hosts);
    }
}
