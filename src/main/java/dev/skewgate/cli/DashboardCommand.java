package dev.skewgate.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code skewgate dashboard}: a one-time sign-in link to the operator dashboard, opened in the browser. */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = "Open the operator dashboard with a one-time sign-in link (good for 60 s, for one sign-in).")
public final class DashboardCommand implements Callable<Integer> {
    @Mixin ClientOptions client;
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Option(names = "--no-open", description = "Only print the link; do not start a browser.") boolean noOpen;

    @Override
    public Integer call() {
        String path = client.client().post("/v1/session/links", java.util.Map.of()).path("path").asText();
        String base = client.adminUrl.endsWith("/") ? client.adminUrl.substring(0, client.adminUrl.length() - 1)
                : client.adminUrl;
        String url = base + path;
        var out = spec.commandLine().getOut();
        out.println(url);
        if (!noOpen && !open(url)) {
            out.println("(no browser started: open the link above within 60 s)");
        }
        return 0;
    }

    /** Starts the desktop's browser on {@code url}, if there is a desktop; answers whether one was started. */
    private static boolean open(String url) {
        boolean mac = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("mac");
        if (!mac && System.getenv("DISPLAY") == null && System.getenv("WAYLAND_DISPLAY") == null) {
            return false;
        }
        try {
            new ProcessBuilder(List.of(mac ? "open" : "xdg-open", url)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
