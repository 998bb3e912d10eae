package dev.skewgate.store.postgres;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A store URL, {@code postgresql://user:password@host:port/database?params} (or the same with {@code jdbc:} in front,
 * or the {@code postgres://} spelling libpq also takes), taken apart: the driver's URL without the credentials, and
 * the credentials on their own, so no message ever needs to show the password.
 *
 * @param jdbcUrl  {@code jdbc:postgresql://host:port/database} with the query string given (no user, no password)
 * @param user     the user name, when the URL names one (else the driver's default: the OS user)
 * @param password the password, when the URL has one
 * @param where    {@code host:port/database}, for messages
 */
record PostgresUrl(String jdbcUrl, Optional<String> user, Optional<String> password, String where) {

    static final String SHAPE = "postgresql://user:password@host:5432/database";

    /** Parses a store URL; {@link IllegalArgumentException} with a message that never contains the password. */
    static PostgresUrl parse(String url) {
        String raw = url.startsWith("jdbc:") ? url.substring("jdbc:".length()) : url;
        URI uri;
        try {
            uri = new URI(raw);
        } catch (URISyntaxException e) {
            throw bad(url, "it is not a URL");
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("postgresql") || scheme.equals("postgres"))) {
            throw bad(url, "the scheme must be postgresql://");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw bad(url, "it names no host");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String database = decode(path.startsWith("/") ? path.substring(1) : path);
        if (database.isEmpty() || database.contains("/")) {
            throw bad(url, "it must name one database after the port, as in /skewgate");
        }
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        Optional<String> user = Optional.empty();
        Optional<String> password = Optional.empty();
        String info = uri.getRawUserInfo();
        if (info != null && !info.isEmpty()) {
            int colon = info.indexOf(':');
            user = Optional.of(decode(colon < 0 ? info : info.substring(0, colon))).filter(u -> !u.isEmpty());
            password = colon < 0 ? Optional.empty() : Optional.of(decode(info.substring(colon + 1)));
        }
        String host = uri.getHost(); // an IPv6 literal keeps its brackets here, as the driver's URL wants
        String where = host + ":" + port + "/" + database;
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return new PostgresUrl("jdbc:postgresql://" + host + ":" + port + "/" + path.substring(1) + query, user,
                password, where);
    }

    /** The URL as given with its password replaced by {@code ***}: the only form of it a message may show. */
    static String redacted(String url) {
        int scheme = url.indexOf("://");
        int at = url.lastIndexOf('@');
        if (scheme < 0 || at < scheme) {
            return url.replaceAll("(?i)(password=)[^&]*", "$1***");
        }
        String info = url.substring(scheme + 3, at);
        int colon = info.indexOf(':');
        String shown = colon < 0 ? info : info.substring(0, colon) + ":***";
        return (url.substring(0, scheme + 3) + shown + url.substring(at)).replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    private static IllegalArgumentException bad(String url, String why) {
        return new IllegalArgumentException("store URL '" + redacted(url) + "' is not usable: " + why
                + " (expected " + SHAPE + ")");
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
