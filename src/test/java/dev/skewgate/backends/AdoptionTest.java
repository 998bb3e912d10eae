package dev.skewgate.backends;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A restarted gateway finds its instances again through the record files, and only the very same processes. */
class AdoptionTest {

    @TempDir
    Path dir;
    Fixture f;
    /** The second gateway process: its own ports and events, same data directory. */
    final PortAllocator ports2 = new PortAllocator();
    final Fixture.Recorder events2 = new Fixture.Recorder();

    @BeforeEach
    void setUp() {
        f = new Fixture(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    /** Launches with the first "gateway", then forgets the instance as a killed gateway would. */
    private Instance runningThenGatewayGone(InstanceSpec spec) throws Exception {
        Instance first = f.launch(spec, Fixture.QUICK);
        first.ready().get(10, TimeUnit.SECONDS);
        first.abandon();
        f.killAtEnd(first.pid());
        return first;
    }

    private Optional<Instance> adopt(InstanceSpec spec) {
        return Instance.adopt(spec, Fixture.QUICK, ports2, events2, f.scheduler, Fixture.FAST).map(f::track);
    }

    @Test
    void liveProcessIsAdoptedWithItsPortAndStoppedByTheNewGateway() throws Exception {
        InstanceSpec spec = f.spec(1, "node server.js");
        Instance first = runningThenGatewayGone(spec);
        Instance adopted = adopt(spec).orElseThrow();
        adopted.ready().get(5, TimeUnit.SECONDS);
        assertThat(adopted.pid()).isEqualTo(first.pid());
        assertThat(adopted.port()).isEqualTo(first.port());
        assertThat(adopted.startedAt()).isEqualTo(first.startedAt());
        assertThat(adopted.envRevision()).isEqualTo(7);
        assertThat(adopted.state()).isEqualTo(Instance.State.READY);
        assertThat(ports2.isReserved(first.port())).isTrue();
        assertThat(ports2.reserve(first.port())).as("no port used twice").isFalse();
        // The instance completes ready() just before it reports the event: wait for the report, then check it is the one.
        dev.skewgate.testing.Await.until("the adopted instance reports ready", 5_000, () -> !events2.seen.isEmpty());
        assertThat(events2.seen).containsExactly("ready 1");
        assertThat(Fixture.get(adopted.port(), "/")).isEqualTo("hello from " + adopted.port());

        adopted.stop(() -> 0).get(5, TimeUnit.SECONDS);
        assertThat(ProcessGroups.members(first.pid())).isEmpty();
        assertThat(spec.recordFile()).doesNotExist();
        assertThat(ports2.isReserved(first.port())).isFalse();
    }

    @Test
    void adoptedProcessThatDiesIsNoticedByPollingAndRestartedOnItsPort() throws Exception {
        InstanceSpec spec = f.spec(1, "node server.js");
        Instance first = runningThenGatewayGone(spec);
        Instance adopted = adopt(spec).orElseThrow();
        adopted.ready().get(5, TimeUnit.SECONDS);
        ProcessGroups.signalGroup(first.pid(), "KILL");
        Fixture.await("restarted", Duration.ofSeconds(3), () -> events2.count("ready") == 2);
        assertThat(events2.seen.get(1)).isEqualTo("down 1: exited (status unknown: an earlier gateway process started it)");
        assertThat(adopted.port()).isEqualTo(first.port());
        assertThat(adopted.pid()).isNotEqualTo(first.pid());
        assertThat(Fixture.get(adopted.port(), "/")).isEqualTo("hello from " + first.port());
    }

    @Test
    void reusedPidIsNotAdoptedAndNotTouched() throws Exception {
        InstanceSpec spec = f.spec(1, "node server.js");
        Instance first = runningThenGatewayGone(spec);
        // Same pid, another start time: what the record shows when the pid now belongs to another program.
        ObjectMapper json = new ObjectMapper();
        ObjectNode record = (ObjectNode) json.readTree(spec.recordFile().toFile());
        long ticks = record.get("startTicks").asLong();
        record.put("startTicks", ticks - 1);
        json.writeValue(spec.recordFile().toFile(), record);

        assertThat(adopt(spec)).isEmpty();
        assertThat(ProcessGroups.alive(first.pid(), ticks)).as("the other program runs on").isTrue();
        assertThat(Fixture.get(first.port(), "/")).isEqualTo("hello from " + first.port());
        assertThat(spec.recordFile()).doesNotExist();
        assertThat(ports2.isReserved(first.port())).isFalse();
    }

    @Test
    void leftoverChildrenOfADeadLeaderAreKilled() throws Exception {
        InstanceSpec spec = f.spec(1, "unused");
        Files.createDirectories(spec.runDir());
        // The shell exits at once; its two sleeps stay behind in its process group.
        ProcessGroups.Started s = ProcessGroups.start("sleep 30 & sleep 31 & exit 0", dir, Fixture.baseEnv(),
                dir.resolve("out"));
        f.killAtEnd(s.pid());
        s.process().waitFor();
        Fixture.await("leader reaped", Duration.ofSeconds(2), () -> ProcessGroups.startTicks(s.pid()) < 0);
        assertThat(ProcessGroups.members(s.pid())).hasSize(2);
        Files.writeString(spec.recordFile(), "{\"pid\":" + s.pid() + ",\"startTicks\":" + s.startTicks()
                + ",\"port\":" + Fixture.freePort() + ",\"startedAt\":\"2026-12-02T08:00:00Z\",\"envRevision\":1}");

        assertThat(adopt(spec)).isEmpty();
        Fixture.await("leftovers killed", Duration.ofSeconds(2), () -> ProcessGroups.members(s.pid()).isEmpty());
        assertThat(spec.recordFile()).doesNotExist();
    }

    @Test
    void noRecordNothingToAdopt() {
        assertThat(adopt(f.spec(3, "node server.js"))).isEmpty();
    }
}
