package dev.skewgate.app;

import dev.skewgate.config.ServeSettings;
import dev.skewgate.http.ListenAddress;
import dev.skewgate.model.Site;
import java.nio.file.Path;
import java.util.List;

/** What {@code serve} prints once it listens: where things are and the next command to run (as Caddy and Vite do). */
final class StartupBanner {

    private StartupBanner() {
    }

    static String text(Gateway gateway, ServeSettings settings) {
        Path data = settings.dataDir().toAbsolutePath().normalize();
        String edgeHost = ListenAddress.inUrl(ListenAddress.reachable(settings.edgeHost(), "localhost"));
        String adminHost = ListenAddress.inUrl(ListenAddress.reachable(settings.adminHost(), "127.0.0.1"));
        boolean tls = gateway.httpsPort() > 0;
        int shown = tls ? gateway.httpsPort() : gateway.edgePort();
        String scheme = tls ? "https://" : "http://";
        String port = shown == (tls ? 443 : 80) ? "" : ":" + shown;
        String dataFlag = Path.of("skewgate-data").toAbsolutePath().normalize().equals(data) ? ""
                : " --data-dir " + settings.dataDir();
        // The CLI's default is http://127.0.0.1:8081: name the admin URL whenever it is anything else.
        String adminUrl = "http://" + adminHost + ":" + gateway.adminPort();
        String adminFlag = adminUrl.equals("http://127.0.0.1:8081") ? "" : " --admin-url " + adminUrl;
        StringBuilder out = new StringBuilder();
        out.append("\nSkewgate is running.\n");
        if (gateway.httpsPort() > 0) {
            out.append("  edge (browsers):  https://").append(edgeHost).append(':').append(gateway.httpsPort())
                    .append("  (HTTP/2 and HTTP/1.1; listening on ").append(settings.edgeHost()).append(")\n");
            out.append("  plain HTTP:       http://").append(edgeHost).append(':').append(gateway.edgePort())
                    .append("  (redirects to HTTPS, answers ACME challenges)\n");
            long served = gateway.certificates().list().stream().filter(c -> c.notAfter().isPresent()).count();
            out.append("  certificates:     ").append(served).append(" host(s) (skewgate cert list").append(dataFlag)
                    .append(adminFlag).append(")\n");
        } else {
            out.append("  edge (browsers):  http://").append(edgeHost).append(':').append(gateway.edgePort())
                    .append("  (listening on ").append(settings.edgeHost()).append(")\n");
        }
        out.append("  admin API:        ").append(adminUrl)
                .append("  (token in ").append(data.resolve("admin-token")).append(")\n");
        out.append("  dashboard:        ").append(adminUrl).append("/  (sign in with that token)\n");
        out.append("  data:             ").append(data).append('\n');
        if (settings.store().url().isPresent()) {
            out.append("  store:            ").append(gateway.storeInfo().kind()).append(" at ")
                    .append(gateway.storeInfo().where()).append("  (blob cache in ").append(data.resolve("blob-cache"))
                    .append(", up to ").append(settings.store().blobCacheBytes() >> 20).append(" MiB)\n");
        }
        List<Site> sites = gateway.control().sites().list();
        if (sites.isEmpty()) {
            out.append("\nNext, in another terminal (from this folder, so the CLI finds the token):\n");
            // Over HTTPS a host needs a certificate before its activation passes its check: names under localhost
            // are never ordered through ACME.
            String host = tls ? "shop.example.com" : "shop.localhost";
            if (tls) {
                out.append(settings.acme().enabled()
                        ? "  (a public name that points here: its certificate is ordered through ACME; for another name, first\n"
                        : "  (every name needs a certificate file first:\n")
                        .append("   skewgate cert add --host NAME --cert fullchain.pem --key key.pem").append(dataFlag)
                        .append(adminFlag).append(")\n");
            }
            out.append("  skewgate site create shop --host ").append(host).append(dataFlag).append(adminFlag).append('\n');
            out.append("  skewgate deploy ./dist --site shop --activate").append(dataFlag).append(adminFlag).append('\n');
            out.append("  then open ").append(scheme).append(host).append(port).append("/\n");
        } else {
            out.append("\nSites:\n");
            for (Site s : sites) {
                out.append("  ").append(s.name()).append(": ").append(scheme).append(s.hosts().get(0).startsWith("*.")
                        ? s.hosts().get(0).replace("*", "www") : s.hosts().get(0)).append(port).append("/  (")
                        .append(s.activeDeployment().orElse("nothing live yet")).append(")\n");
            }
            out.append("\nNext: skewgate status ").append(sites.get(0).name()).append(dataFlag).append(adminFlag)
                    .append('\n');
        }
        return out.toString();
    }
}
