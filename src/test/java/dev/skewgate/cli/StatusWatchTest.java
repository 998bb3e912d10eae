package dev.skewgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skewgate.app.Main;
import dev.skewgate.testing.TestGateway;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code skewgate status --watch}: the status again every interval, until interrupted (Ctrl-C). */
class StatusWatchTest {

    @TempDir
    Path dir;

    @Test
    void watchShowsTheStatusAgainSoAnActivationAppearsWithoutRunningItAgain() throws Exception {
        try (TestGateway gw = TestGateway.start(dir)) {
            gw.createSite("shop", "shop.localhost");
            String v1 = gw.deploy("shop", Map.of("index.html", "<html><body>v1</body></html>"));
            StringWriter out = new StringWriter();
            AtomicInteger code = new AtomicInteger(-1);
            StringWriter err = new StringWriter();
            Thread watch = new Thread(() -> code.set(Main.run(new PrintWriter(out, true), new PrintWriter(err, true),
                    "status", "shop", "--watch", "--interval", "1s", "--admin-url", gw.adminUrl(), "--token", gw.token())));
            watch.start();
            try {
                awaitOutput(out, err, "live: none");
                gw.activate("shop", v1);
                awaitOutput(out, err, "live: " + v1);
            } finally {
                watch.interrupt();
                watch.join(10_000);
            }
            assertThat(code.get()).as("stops cleanly when interrupted").isZero();
            String text = out.toString();
            assertThat(text.split("every 1s at ").length - 1).as("frames").isGreaterThanOrEqualTo(2);
            assertThat(text).as("no escape sequence without a terminal").doesNotContain("\033");
        }
    }

    private static void awaitOutput(StringWriter out, StringWriter err, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!out.toString().contains(text)) {
            assertThat(System.nanoTime()).as("no '" + text + "' in:\n" + out + "\nerrors:\n" + err).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
