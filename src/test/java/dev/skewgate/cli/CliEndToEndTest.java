package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.app.Main;
import dev.skewgate.testing.TestGateway;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a running gateway, as a user types it: it finds the token in the data directory by itself. */
class CliEndToEndTest {

    @TempDir
    Path dir;
    TestGateway gw;
    Path data;

    /** What one command printed and returned. */
    record Run(int code, String out, String err) {
    }

    @BeforeEach
    void start() throws Exception {
        data = dir.resolve("skewgate-data");
        gw = TestGateway.start(data);
    }

    @AfterEach
    void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    private Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] full = new String[args.length + 4];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--admin-url";
        full[args.length + 1] = gw.adminUrl();
        full[args.length + 2] = "--data-dir";
        full[args.length + 3] = data.toString();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), full);
        return new Run(code, out.toString(), err.toString());
    }

    private Path build(String name, String version) throws Exception {
        Path root = dir.resolve(name);
        Files.createDirectories(root.resolve("assets"));
        Files.writeString(root.resolve("index.html"), "<html><head></head><body>" + version + "</body></html>");
        Files.writeString(root.resolve("assets/index-" + (version.equals("v1") ? "3f9a1c2b" : "9e8d7c6b") + ".js"), version);
        Files.writeString(root.resolve("favicon.ico"), "icon");
        return root;
    }

    private static String deploymentId(String output) {
        Matcher m = Pattern.compile("(dpl_[0-9A-Z]{26})\\s*$").matcher(output.strip());
        assertThat(m.find()).as(output).isTrue();
        return m.group(1);
    }

    @Test
    void envSetListAndUnsetNeverPrintAValue() throws Exception {
        gw.createSite("shop", "shop.test");
        Path file = dir.resolve("prod.env");
        Files.writeString(file, "# production\n\nexport DATABASE_URL=\"postgres://u:file-s3cret@db/shop\"\n"
                + "STRIPE_KEY='sk_live_file-s3cret'\n");
        Run set = cli("env", "set", "shop", "API_TOKEN=arg-s3cret", "--from-file", file.toString());
        assertThat(set.code()).as(set.err()).isZero();
        assertThat(set.out()).contains("API_TOKEN").contains("revision 1");

        Run list = cli("env", "list", "shop");
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains("API_TOKEN").contains("DATABASE_URL").contains("STRIPE_KEY")
                .contains("\u2022\u2022\u2022\u2022\u2022\u2022").contains("revision 1");
        assertThat(gw.gateway().control().env().list("shop").keys()).extracting(k -> k.length())
                .as("quotes stripped: lengths of arg-s3cret, postgres://u:file-s3cret@db/shop, sk_live_file-s3cret")
                .containsExactly(10, 32, 19);

        Run unset = cli("env", "unset", "shop", "STRIPE_KEY");
        assertThat(unset.code()).as(unset.err()).isZero();
        Run after = cli("env", "list", "shop");
        assertThat(after.out()).doesNotContain("STRIPE_KEY").contains("DATABASE_URL").contains("revision 2");

        Run reserved = cli("env", "set", "shop", "PORT=80");
        assertThat(reserved.code()).isNotZero();
        assertThat(reserved.err()).contains("reserved");

        Files.writeString(file, "BIG=" + "x".repeat(64 * 1024) + "\n");
        Run big = cli("env", "set", "shop", "--from-file", file.toString());
        assertThat(big.code()).isNotZero();
        assertThat(big.err()).contains("at most 65536 bytes");

        for (Run r : java.util.List.of(set, list, unset, after, reserved, big)) {
            assertThat(r.out() + r.err()).doesNotContain("s3cret").doesNotContain("xxxxxxxx");
        }
    }

    @Test
    void eventsPrintsAWebhookMessagesEscapeSequencesDefused() throws Exception {
        gw.createSite("shop", "shop.test");
        gw.activate("shop", gw.deploy("shop", java.util.Map.of("index.html", "<html><head></head><body>v1</body></html>")));
        String secret = gw.ok("POST", "/v1/sites/shop/webhook-secrets", null).body().path("secret").asText();
        String evil = "\u001b]0;owned\u0007\u001b[2J\u001b[31mred\u009b1m\u202eevil\rspoof\nline";
        String body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                java.util.Map.of("deployment", "web-1", "message", evil));
        long t = System.currentTimeMillis() / 1000;
        String sig = "t=" + t + ",v1=" + java.util.HexFormat.of().formatHex(dev.skewgate.push.NotifyWebhook.hmac(secret,
                (t + "." + body).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(java.net.URI.create("http://127.0.0.1:" + gw.edgePort() + "/_skewgate/notify"))
                .header("Host", "shop.test").header("X-Skewgate-Signature", sig)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        org.assertj.core.api.Assertions.assertThat(r.statusCode()).as(r.body()).isEqualTo(202);

        Run events = cli("events", "shop");
        org.assertj.core.api.Assertions.assertThat(events.code()).isZero();
        org.assertj.core.api.Assertions.assertThat(events.out()).contains("?]0;owned??[2J?[31mred?1m?evil?spoof?line")
                .doesNotContain("\u001b").doesNotContain("\u0007").doesNotContain("\u009b").doesNotContain("\u202e")
                .doesNotContain("\r");
        Run missing = cli("status", "no\u001b[31msuch");
        org.assertj.core.api.Assertions.assertThat(missing.err()).doesNotContain("\u001b").contains("?[31m");
    }

    @Test
    void deployActivateRollbackAndStatusEndToEnd() throws Exception {
        Run site = cli("site", "create", "shop", "--host", "shop.localhost", "--host", "*.shop.test");
        assertThat(site.code()).as(site.err()).isZero();
        assertThat(site.out()).contains("created site shop");

        Run first = cli("deploy", build("dist1", "v1").toString(), "--site", "shop", "--activate", "-m", "first release",
                "--git-sha", "0123456789abcdef");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("3 files", "3 to upload", "activated", "preview: http://shop.localhost:"
                + gw.edgePort() + "/?_skewgate=");
        String v1 = deploymentId(first.out());
        assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).contains("v1");

        Run second = cli("deploy", build("dist2", "v2").toString(), "--site", "shop", "-m", "second");
        String v2 = deploymentId(second.out());
        assertThat(second.out()).as("only changed files are sent").contains("2 to upload");
        assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).as("not activated yet").contains("v1");

        assertThat(cli("activate", "shop", v2).out()).contains("activated " + v2, "was " + v1);
        assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).contains("v2");
        assertThat(cli("rollback", "shop").out()).contains("rolled back shop to " + v1);
        assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).contains("v1");

        Run status = cli("status", "shop");
        assertThat(status.out()).contains("live: " + v1)
                .containsPattern("ID\\s+STATE\\s+CREATED\\s+GIT\\s+MESSAGE\\s+FILES\\s+SIZE\\s+TABS\\s+REQ/MIN\\s+LAST REQUEST")
                .containsPattern(v1 + "\\s+active\\s+\\S+ \\S+\\s+0123456\\s+first release\\s+3\\s+")
                .containsPattern(v2 + "\\s+previous\\s+")
                .containsPattern("shop.localhost\\s+entry\\s+" + v2 + "\\s+ok ");
        Run events = cli("events", "shop");
        assertThat(events.out()).contains("rollback", "activate", "deploy", "site.create");
        assertThat(cli("site", "list").out()).contains("shop", v1);
        assertThat(cli("site", "show", "shop").out()).contains("*.shop.test", "skew window 1d");
    }

    @Test
    void siteUpdateSetsHstsInTheHeadersSyntaxAndCompressionAndShowAndStatusSayIt() {
        cli("site", "create", "shop", "--host", "shop.localhost");
        assertThat(cli("site", "show", "shop").out()).contains("responses:    HSTS off, proxied responses as the backend sent them");
        assertThat(cli("status", "shop").out()).doesNotContain("responses:");
        Run set = cli("site", "update", "shop", "--hsts", "max-age=\"31536000\"; includesubdomains; preload",
                "--compress-proxied");
        assertThat(set.code()).as(set.err()).isZero();
        String on = "HSTS max-age=31536000; includeSubDomains; preload (over HTTPS), proxied responses compressed "
                + "when the backend did not";
        assertThat(cli("site", "show", "shop").out()).contains("responses:    " + on);
        assertThat(cli("status", "shop").out()).contains("responses: " + on);

        Run refused = cli("site", "update", "shop", "--hsts", "max-age=600; preload");
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err()).contains("preload requires includeSubDomains");
        Run negative = cli("site", "update", "shop", "--hsts", "max-age=-5");
        assertThat(negative.err()).contains("max-age must be 0 or more seconds");
        Run typo = cli("site", "update", "shop", "--hsts", "max-age=600; includeSubdomain");
        assertThat(typo.err()).contains("unknown directive 'includeSubdomain'");
        assertThat(cli("site", "update", "shop", "--hsts", "includeSubDomains").err()).contains("needs max-age=SECONDS");
        assertThat(cli("site", "update", "shop", "--hsts", "max-age=1y").err()).contains("not '1y'");

        assertThat(cli("site", "update", "shop", "--hsts", "off", "--no-compress-proxied").code()).isZero();
        assertThat(cli("site", "show", "shop").out()).contains("responses:    HSTS off, proxied responses as the backend sent them");
    }

    @Test
    void deployingTheSameFolderAgainUploadsNothing() throws Exception {
        cli("site", "create", "shop", "--host", "shop.localhost");
        Path dist = build("dist", "v1");
        cli("deploy", dist.toString(), "--site", "shop");
        Run again = cli("deploy", dist.toString(), "--site", "shop");
        assertThat(again.code()).isZero();
        assertThat(again.out()).contains("0 to upload").doesNotContain("uploaded ");
    }

    @Test
    void deployWarnsOnceAboutUrlsBakedIntoTheBuildUnlessQuiet() throws Exception {
        cli("site", "create", "shop", "--host", "shop.localhost");
        Path root = build("dist", "v1");
        Files.writeString(root.resolve("assets/api-7f3e2a1b.js"), "const a='https://api.example.com/v1';"
                + "fetch(a+'/x');fetch('https://api.example.com/v2');document.createElementNS('http://www.w3.org/2000/svg','g')");
        Run loud = cli("deploy", root.toString(), "--site", "shop");
        assertThat(loud.code()).as(loud.err()).isZero();
        assertThat(loud.err()).contains("https://api.example.com  (in assets/api-7f3e2a1b.js)", "runtime config")
                .doesNotContain("w3.org");
        assertThat(loud.err().split("https://api.example.com  ", -1)).as("named once").hasSize(2);
        Run quiet = cli("deploy", root.toString(), "--site", "shop", "--quiet-lint");
        assertThat(quiet.err()).doesNotContain("api.example.com");
    }

    @Test
    void promoteRetireAndErrorsArePlainMessages() throws Exception {
        cli("site", "create", "shop-staging", "--host", "staging.shop.localhost");
        cli("site", "create", "shop", "--host", "shop.localhost");
        String staged = deploymentId(cli("deploy", build("dist", "v1").toString(), "--site", "shop-staging").out());
        Run promoted = cli("promote", staged, "--to", "shop", "--activate");
        assertThat(promoted.code()).as(promoted.err()).isZero();
        assertThat(TestGateway.text(gw.get("shop.localhost", "/"))).contains("v1");

        Run unknown = cli("status", "nope");
        assertThat(unknown.code()).isEqualTo(1);
        assertThat(unknown.err()).contains("no site named 'nope'", "SITE_NOT_FOUND");
        Run retireActive = cli("retire", "shop", deploymentId(promoted.out().replace("activated ", "").lines()
                .filter(l -> l.startsWith("promoted")).findFirst().orElseThrow().replaceAll(".* as ", "")));
        assertThat(retireActive.code()).isEqualTo(1);
        assertThat(retireActive.err()).contains("DEPLOYMENT_ACTIVE");
        Run noDir = cli("deploy", dir.resolve("missing").toString(), "--site", "shop");
        assertThat(noDir.code()).isEqualTo(1);
        assertThat(noDir.err()).contains("is not a folder");

        Run liveDelete = cli("site", "delete", "shop");
        assertThat(liveDelete.code()).isEqualTo(1);
        assertThat(liveDelete.err()).contains("SITE_IS_LIVE", "--force");
        Run deleted = cli("site", "delete", "shop-staging");
        assertThat(deleted.code()).as(deleted.err()).isZero();
        assertThat(deleted.out()).contains("deleted site shop-staging; retired 1 deployment (" + staged + ")");
        assertThat(cli("site", "list").out()).doesNotContain("shop-staging");
    }

    @Test
    void unreachableGatewayAndMissingTokenAreExplained() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true),
                "status", "shop", "--admin-url", "http://127.0.0.1:1", "--token", "x");
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("cannot reach the admin API", "skewgate serve");
        StringWriter err2 = new StringWriter();
        int code2 = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err2, true),
                "status", "shop", "--admin-url", gw.adminUrl(), "--data-dir", dir.resolve("elsewhere").toString());
        assertThat(code2).isEqualTo(1);
        assertThat(err2.toString()).contains("no admin token");
    }
}
