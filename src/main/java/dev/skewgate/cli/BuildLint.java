package dev.skewgate.cli;

import dev.skewgate.model.Names;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds absolute URLs to other hosts baked into a build's entry points and scripts: the seed incident of this
 * product (an API URL fixed at build time kept every open tab writing to the old server after a move). Such a URL
 * belongs in the runtime config, which changes without a rebuild and reaches open tabs.
 */
final class BuildLint {

    /** One origin found, and the first file that has it. */
    record Finding(String origin, String file) {
    }

    // Scheme, then a host name or IPv4 or [IPv6], then an optional port: the origin, which is what an app calls.
    private static final Pattern URL = Pattern.compile(
            "https?://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*"
                    + "[A-Za-z0-9])?)*)(:\\d{1,5})?");
    /**
     * Hosts that appear in every framework's bundle and are never an app's backend: XML namespaces and the error
     * and documentation links of React, Vue, Angular, Svelte and the browser's own docs.
     */
    private static final Set<String> NEVER_A_BACKEND = Set.of("www.w3.org", "w3.org", "reactjs.org", "react.dev",
            "fb.me", "vuejs.org", "vuejs.github.io", "angular.io", "angular.dev", "svelte.dev", "developer.mozilla.org",
            "github.com", "xmlns.com", "purl.org", "ns.adobe.com", "schema.org", "www.apache.org", "opensource.org",
            "lit.dev", "preactjs.com", "mths.be", "goo.gl", "bit.ly", "reactrouter.com", "remix.run", "nextjs.org",
            "nuxt.com", "tanstack.com", "redux.js.org", "mui.com", "getbootstrap.com", "tailwindcss.com");
    private static final long MAX_SCANNED = 16L << 20;
    static final int MAX_SHOWN = 10;

    private BuildLint() {
    }

    static boolean scanned(String path) {
        String p = path.toLowerCase(Locale.ROOT);
        return p.endsWith(".html") || p.endsWith(".htm") || p.endsWith(".js") || p.endsWith(".mjs")
                || p.endsWith(".cjs");
    }

    /** Origins in the build's HTML and scripts whose host is not one of {@code siteHosts}, first file each. */
    static List<Finding> findings(List<BuildScanner.Found> files, List<String> siteHosts) throws IOException {
        return findings(files, siteHosts, HashCache.disabled());
    }

    /**
     * As {@link #findings(List, List)}; a file unchanged since the last deploy is not read again: its origins (before
     * the site's own hosts are left out, which may have changed) come from {@code cache}.
     */
    static List<Finding> findings(List<BuildScanner.Found> files, List<String> siteHosts, HashCache cache)
            throws IOException {
        Map<String, String> found = new LinkedHashMap<>();
        for (BuildScanner.Found f : files) {
            if (!scanned(f.path()) || f.size() > MAX_SCANNED) {
                continue;
            }
            List<String> origins = cache.origins(f.file()).orElse(null);
            if (origins == null) {
                try (InputStream in = Files.newInputStream(f.file())) {
                    // URLs are ASCII; ISO-8859-1 never fails
                    origins = candidates(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
                }
                cache.origins(f.file(), origins);
            }
            for (String origin : origins) {
                if (!ownHost(host(origin), siteHosts)) {
                    found.putIfAbsent(origin, f.path());
                }
            }
        }
        List<Finding> out = new ArrayList<>();
        found.forEach((origin, file) -> out.add(new Finding(origin, file)));
        return out;
    }

    /** The distinct origins in {@code text} that point away from the site. */
    static List<String> origins(String text, List<String> siteHosts) {
        return candidates(text).stream().filter(o -> !ownHost(host(o), siteHosts)).toList();
    }

    /** The distinct origins in {@code text} that could be an app's backend, whatever the site's hosts. */
    static List<String> candidates(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = URL.matcher(text);
        while (m.find()) {
            String host = m.group(1).toLowerCase(Locale.ROOT);
            if (host.indexOf('.') < 0 && !host.equals("localhost") && !host.startsWith("[")) {
                continue; // "http://x" in a regex or a message, not a reachable origin
            }
            if (NEVER_A_BACKEND.contains(host)) {
                continue;
            }
            if (m.group(2) == null && (host.equals("localhost") || host.equals("127.0.0.1"))) {
                continue; // new URL(path, "http://localhost"): a parsing base (React Router has one); dev APIs have a port
            }
            String origin = m.group(0).toLowerCase(Locale.ROOT);
            if (!out.contains(origin)) {
                out.add(origin);
            }
        }
        return out;
    }

    /** The host of an origin found by {@link #candidates}: between "://" and the port, if any. */
    private static String host(String origin) {
        String rest = origin.substring(origin.indexOf("://") + 3);
        int colon = rest.startsWith("[") ? rest.indexOf("]:") + 1 : rest.lastIndexOf(':');
        return colon > 0 ? rest.substring(0, colon) : rest;
    }

    private static boolean ownHost(String host, List<String> siteHosts) {
        return siteHosts.stream().anyMatch(h -> Names.covers(h.toLowerCase(Locale.ROOT), host));
    }

    /** The warning, printed once per deploy; empty when there is nothing to say. */
    static String warning(List<Finding> findings, String site) {
        if (findings.isEmpty()) {
            return "";
        }
        StringBuilder out = new StringBuilder("warning: this build has absolute URLs to other hosts baked in:\n");
        findings.stream().limit(MAX_SHOWN).forEach(f -> out.append("  ").append(f.origin()).append("  (in ")
                .append(f.file()).append(")\n"));
        if (findings.size() > MAX_SHOWN) {
            out.append("  … and ").append(findings.size() - MAX_SHOWN).append(" more\n");
        }
        out.append("  A URL fixed at build time strands every open tab when it changes: they keep calling the old one.\n")
                .append("  If one of these is your API, serve it as runtime config instead (no rebuild, open tabs hear the "
                        + "change):\n")
                .append("    skewgate config set ").append(site).append(" API_BASE_URL=").append(findings.get(0).origin())
                .append("\n    and read Skewgate.config.API_BASE_URL (or /_skewgate/config.json) in the app.\n")
                .append("  --quiet-lint hides this warning.");
        return out.toString();
    }
}
