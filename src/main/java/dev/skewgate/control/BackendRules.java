package dev.skewgate.control;

import dev.skewgate.model.Backend;
import dev.skewgate.model.InvalidRequestException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** What a backend may be: http(s) origins that are not the gateway itself, and a plain health path. */
public final class BackendRules {

    private BackendRules() {
    }

    /**
     * Normalizes and checks a backend.
     *
     * @param ownPorts the gateway's own listening ports: an upstream on this machine at one of them would loop
     * @param ownHosts host names this gateway serves (a request to them at an own port also loops)
     */
    public static Backend check(Backend backend, Set<Integer> ownPorts, Set<String> ownHosts) {
        if (backend.upstreams().isEmpty()) {
            throw new InvalidRequestException("INVALID_BACKEND", "a backend needs at least one upstream URL");
        }
        List<String> upstreams = new ArrayList<>();
        for (String raw : backend.upstreams()) {
            URI uri;
            try {
                uri = URI.create(raw.trim());
            } catch (IllegalArgumentException e) {
                throw bad("'" + raw + "' is not a URL");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw bad("'" + raw + "' must be an http:// or https:// URL");
            }
            if (uri.getHost() == null || uri.getUserInfo() != null || uri.getQuery() != null || uri.getFragment() != null
                    || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))) {
                throw bad("'" + raw + "' must be an origin like http://127.0.0.1:9001 (no path, query or credentials)");
            }
            String host = uri.getHost().toLowerCase(Locale.ROOT);
            int port = uri.getPort() > 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
            boolean local = host.equals("localhost") || host.startsWith("127.") || host.equals("0.0.0.0")
                    || host.equals("[::1]") || host.equals("::1") || host.endsWith(".localhost") || ownHosts.contains(host);
            if (local && ownPorts.contains(port)) {
                throw new InvalidRequestException("BACKEND_IS_GATEWAY", "'" + raw
                        + "' points back at this gateway itself; give the address of the API server");
            }
            upstreams.add(scheme + "://" + (uri.getRawAuthority().toLowerCase(Locale.ROOT)));
        }
        return new Backend(List.copyOf(new java.util.LinkedHashSet<>(upstreams)), health(backend.healthPath()));
    }

    /** A plain absolute path such as /api/health; blank means "/". */
    static String health(String path) {
        String health = path == null || path.isBlank() ? "/" : path.trim();
        if (!health.startsWith("/") || health.contains("..") || health.contains("\\") || health.length() > 1024
                || health.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
            throw new InvalidRequestException("INVALID_HEALTH_PATH",
                    "health path '" + path + "' must be a plain absolute path such as /api/health");
        }
        return health;
    }

    private static InvalidRequestException bad(String message) {
        return new InvalidRequestException("INVALID_BACKEND", message);
    }
}
