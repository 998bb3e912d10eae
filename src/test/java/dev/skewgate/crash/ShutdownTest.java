package dev.skewgate.crash;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
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
}
