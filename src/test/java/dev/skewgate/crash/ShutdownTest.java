package dev.skewgate.crash;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A service manager's stop: SIGTERM drains the gateway and it exits 0, and the data directory opens again cleanly. */
class ShutdownTest {

    @TempDir
    Path dir;

    @Test
    void sigtermStopsTheGatewayWithExitCodeZero() throws Exception {
        Path data = dir.resolve("data");
        try (ChildGateway child = ChildGateway.start(data, dir.resolve("gateway.log"))) {
            int code = child.terminate();
            assertThat(code).as(child.logTail()).isZero();
            assertThat(child.logTail()).contains("Skewgate stopped");
        }
        try (ChildGateway again = ChildGateway.start(data, dir.resolve("gateway2.log"))) {
            assertThat(again.isAlive()).isTrue();
        }
    }

    @Test
    void sigtermTurnsReadiness503WhileTheShutdownDelayKeepsTheEdgeServing() throws Exception {
        try (ChildGateway child = ChildGateway.start(dir.resolve("data"), dir.resolve("gateway.log"),
                "--shutdown-delay", "5s", "--shutdown-grace", "1s")) {
            assertThat(child.navigate("lb.example", "/_skewgate/readyz").status()).isEqualTo(200);
            child.sigterm();
            long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            ChildGateway.EdgeReply ready = child.navigate("lb.example", "/_skewgate/readyz");
            while (ready.status() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                ready = child.navigate("lb.example", "/_skewgate/readyz");
            }
            assertThat(ready.status()).as(child.logTail()).isEqualTo(503);
            assertThat(ready.body()).isEqualTo("not ready\n");
            assertThat(child.navigate("lb.example", "/_skewgate/healthz").status()).as("still accepting")
                    .isEqualTo(200);
            assertThat(child.awaitExit()).as(child.logTail()).isZero();
            assertThat(child.logTail()).contains("readiness answers 503").contains("Skewgate stopped");
        }
    }
}
