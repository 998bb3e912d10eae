package dev.skewgate.backends;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SupervisionTest {

    @TempDir
    Path dir;
    Fixture f;

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    @Test
    void crashedInstanceIsBackOnTheSamePortWithin2Seconds() throws Exception {
        // Production timing (100 ms first backoff): this is the "restarted within 2 s".
        Instance i = f.launch(f.spec(1, "node server.js"), Fixture.QUICK);
        i.ready().get(10, TimeUnit.SECONDS);
        int port = i.port();
        long firstPid = i.pid();
        Fixture.get(port, "/crash");
        long t0 = System.nanoTime();
        Fixture.await("down", Duration.ofSeconds(2), () -> f.events.count("down") == 1);
        Fixture.await("ready again", Duration.ofSeconds(2), () -> f.events.count("ready") == 2);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("back after %d ms", ms).isLessThan(2000);
        assertThat(i.port()).isEqualTo(port);
        assertThat(Fixture.get(port, "/")).isEqualTo("hello from " + port);
        assertThat(i.pid()).isNotEqualTo(firstPid);
        assertThat(i.restarts()).isEqualTo(1);
        assertThat(i.state()).isEqualTo(Instance.State.READY);
        assertThat(i.lastExit()).hasValue("exited with status 1");
        assertThat(f.events.seen).contains("down 1: exited with status 1");
        assertThat(ProcessGroups.members(firstPid)).isEmpty();
    }

    @Test
    void killMinus9OfTheBackendIsReportedAndRestarted() throws Exception {
        Instance i = f.launch(f.spec(1, "node server.js"), Fixture.QUICK);
        i.ready().get(10, TimeUnit.SECONDS);
        long nodePid = Long.parseLong(Fixture.get(i.port(), "/pid"));
        assertThat(nodePid).as("one simple command is exec'd: node is the group leader").isEqualTo(i.pid());
        new ProcessBuilder("kill", "-9", Long.toString(nodePid)).start().waitFor();
        Fixture.await("ready again", Duration.ofSeconds(2), () -> f.events.count("ready") == 2);
        assertThat(i.lastExit()).hasValue("killed by signal 9 (SIGKILL)");
        assertThat(Long.parseLong(Fixture.get(i.port(), "/pid"))).isNotEqualTo(nodePid);
    }

    @Test
    void killMinus9OfAProgramUnderAShellIsReportedAndRestarted() throws Exception {
        Instance i = f.launch(f.spec(1, "test -f server.js && node server.js"), Fixture.QUICK);
        i.ready().get(10, TimeUnit.SECONDS);
        long nodePid = Long.parseLong(Fixture.get(i.port(), "/pid"));
        assertThat(nodePid).as("a compound command keeps its shell: node is its child").isNotEqualTo(i.pid());
        new ProcessBuilder("kill", "-9", Long.toString(nodePid)).start().waitFor();
        Fixture.await("ready again", Duration.ofSeconds(2), () -> f.events.count("ready") == 2);
        assertThat(Long.parseLong(Fixture.get(i.port(), "/pid"))).isNotEqualTo(nodePid);
    }

    @Test
    void crashLoopMarksTheInstanceFailingAndKeepsRetrying() throws Exception {
        // Exits 300 ms after it starts, every time; the backoff is scaled down (10 ms, at most 200 ms).
        Instance i = f.launch(f.spec(1, "node server.js crash-soon"), Fixture.QUICK, Fixture.FAST);
        i.ready().get(10, TimeUnit.SECONDS);
        Fixture.await("failing", Duration.ofSeconds(10), () -> f.events.count("failing") == 1);
        assertThat(f.events.count("down")).isEqualTo(5);
        assertThat(f.events.seen).contains("failing 1: exited with status 1; restarted 5 times within 60s");
        assertThat(i.failingSince()).isPresent();
        assertThat(i.restarts()).isEqualTo(4);
        Fixture.await("a restart after the mark", Duration.ofSeconds(5), () -> i.restarts() >= 5);
        Fixture.await("down again", Duration.ofSeconds(5), () -> f.events.count("down") >= 6);
        assertThat(i.failingSince()).as("a restart that ran less than 60 s does not clear it").isPresent();
        assertThat(f.events.count("failing")).as("raised once").isEqualTo(1);
        assertThat(i.logTail(3)).contains("crashing");
    }

    @Test
    void theFailingMarkClearsAfterARestartStaysUpLongEnough() throws Exception {
        // Crashes six times, then stays up; "long enough" is scaled from 60 s to 500 ms.
        Instance.Timing timing = new Instance.Timing(Duration.ofMillis(10), 1.5, Duration.ofMillis(100),
                Duration.ofSeconds(30), Duration.ofSeconds(60), 5, Duration.ofMillis(500), Duration.ofMillis(50));
        Instance i = f.launch(f.spec(1, "node server.js crash-six-times"), Fixture.QUICK, timing);
        i.ready().get(10, TimeUnit.SECONDS);
        Fixture.await("failing", Duration.ofSeconds(10), () -> f.events.count("failing") == 1);
        Fixture.await("up after the sixth crash", Duration.ofSeconds(10), () -> f.events.count("ready") == 7);
        assertThat(i.state()).isEqualTo(Instance.State.READY);
        assertThat(i.failingSince()).as("set until it ran 500 ms").isPresent();
        Fixture.await("mark cleared", Duration.ofSeconds(3), () -> i.failingSince().isEmpty());
        assertThat(i.restarts()).isEqualTo(6);
    }
}
