package dev.skewgate.testing;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Playwright;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Debian's Chromium, launched through Playwright the one way every browser test wants it (never a downloaded one). */
public final class Chromium {

    public static final Path EXECUTABLE = Path.of("/usr/bin/chromium");
    private static final List<String> ARGS = List.of("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync");

    private Chromium() {
    }

    /** A headless Chromium; {@code extraArgs} are added to the usual flags. */
    public static Browser launch(Playwright playwright, String... extraArgs) {
        if (!Files.isExecutable(EXECUTABLE)) {
            throw new IllegalStateException("these tests need Debian's Chromium: apt-get install chromium (.ci/run does)");
        }
        List<String> args = new ArrayList<>(ARGS);
        args.addAll(List.of(extraArgs));
        return playwright.chromium().launch(new BrowserType.LaunchOptions().setExecutablePath(EXECUTABLE)
                .setHeadless(true).setArgs(args));
    }
}
