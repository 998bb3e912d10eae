package dev.skewgate.backends;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessGroupsTest {

    @TempDir
    Path dir;

    private final Map<String, String> env = Fixture.baseEnv();

    @Test
    void startedCommandLeadsItsOwnProcessGroup() throws Exception {
        ProcessGroups.Started s = ProcessGroups.start("sleep 30", dir, env, dir.resolve("out"));
        try {
            assertThat(ProcessGroups.members(s.pid())).contains(s.pid());
            assertThat(s.startTicks()).isPositive();
            assertThat(ProcessGroups.alive(s.pid(), s.startTicks())).isTrue();
            assertThat(ProcessGroups.alive(s.pid(), s.startTicks() + 1)).as("a reused pid has another start time").isFalse();
        } finally {
            ProcessGroups.signalGroup(s.pid(), "KILL");
        }
        Fixture.await("group gone", Duration.ofSeconds(2), () -> ProcessGroups.members(s.pid()).isEmpty());
        assertThat(ProcessGroups.alive(s.pid(), s.startTicks())).isFalse();
    }

    @Test
    void groupSignalReachesEveryForkedChild() throws Exception {
        ProcessGroups.Started s = ProcessGroups.start("sleep 30 & sleep 31 & wait", dir, env, dir.resolve("out"));
        Fixture.await("sh and two sleeps", Duration.ofSeconds(2), () -> ProcessGroups.members(s.pid()).size() == 3);
        ProcessGroups.signalGroup(s.pid(), "TERM");
        Fixture.await("group gone", Duration.ofSeconds(2), () -> ProcessGroups.members(s.pid()).isEmpty());
        // A group that is gone already is not an error (ESRCH).
        ProcessGroups.signalGroup(s.pid(), "KILL");
    }

    @Test
    void listeningPortsAndMemoryOfTheGroup() throws Exception {
        Fixture f = new Fixture(dir);
        int other = Fixture.freePort();
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("OTHER_PORT", Integer.toString(other));
        ProcessGroups.Started s = ProcessGroups.start("node server.js elsewhere", f.app, e, dir.resolve("out"));
        try {
            Fixture.await("node listens", Duration.ofSeconds(5),
                    () -> ProcessGroups.listeningPorts(s.pid()).contains(other));
            assertThat(ProcessGroups.listeningPorts(s.pid())).containsExactly(other);
            assertThat(ProcessGroups.rssBytes(s.pid())).as("node's RSS").isGreaterThan(10L << 20);
        } finally {
            ProcessGroups.signalGroup(s.pid(), "KILL");
            f.close();
        }
    }

    @Test
    void aGroupIsGoneOnlyWhenItsLastThreadIs() throws Exception {
        // node's leader turns zombie while its other threads are still exiting and still hold the listening
        // socket; seen in about half of the kills on this machine before members() looked at the threads.
        Fixture f = new Fixture(dir);
        try {
            for (int round = 0; round < 12; round++) {
                int other = Fixture.freePort();
                Map<String, String> e = new java.util.HashMap<>(env);
                e.put("OTHER_PORT", Integer.toString(other));
                ProcessGroups.Started s = ProcessGroups.start("exec node server.js elsewhere", f.app, e,
                        dir.resolve("out" + round));
                Fixture.await("node listens", Duration.ofSeconds(5),
                        () -> ProcessGroups.listeningPorts(s.pid()).contains(other));
                ProcessGroups.signalGroup(s.pid(), "TERM");
                Fixture.await("group gone", Duration.ofSeconds(5), () -> ProcessGroups.members(s.pid()).isEmpty());
                assertThat(Fixture.bindable(other)).as("round %d: port %d free once the group is gone", round, other)
                        .isTrue();
            }
        } finally {
            f.close();
        }
    }

    @Test
    void runOnceAnswersTheExitCodeAndTheLastTwentyLines() throws Exception {
        ProcessGroups.Result r = ProcessGroups.runOnce("for i in $(seq 1 30); do echo migrating $i; done; exit 3",
                dir, env, dir.resolve("release.out"), Duration.ofSeconds(10));
        assertThat(r.exitCode()).hasValue(3);
        assertThat(r.timedOut()).isFalse();
        assertThat(r.tail()).hasSize(20).startsWith("migrating 11").endsWith("migrating 30");
    }

    @Test
    void runOnceTimeoutStopsTheWholeGroup() throws Exception {
        Path out = dir.resolve("release.out");
        ProcessGroups.Result r = ProcessGroups.runOnce("echo started; sleep 30 & sleep 30", dir, env, out,
                Duration.ofMillis(300));
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEmpty();
        assertThat(r.tail()).containsExactly("started");
    }

    @Test
    void environmentIsExactlyTheGivenOnePlusDashsPwd() throws Exception {
        Path out = dir.resolve("env.out");
        ProcessGroups.Result r = ProcessGroups.runOnce("env", dir, Map.of("A", "1", "PATH", "/usr/bin:/bin"), out,
                Duration.ofSeconds(5));
        assertThat(r.exitCode()).hasValue(0);
        assertThat(Files.readAllLines(out)).containsExactlyInAnyOrder("A=1", "PATH=/usr/bin:/bin", "PWD=" + dir);
    }

    @Test
    void refusesToSignalInitOrItsOwnGroup() {
        assertThatThrownBy(() -> ProcessGroups.signalGroup(1, "KILL")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProcessGroups.signalGroup(ProcessHandle.current().pid(), "HUP"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
