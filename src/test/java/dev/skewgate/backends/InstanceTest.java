package dev.skewgate.backends;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InstanceTest {

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
    void readyAfterThreeConsecutiveHealthyProbes() throws Exception {
        Instance i = f.launch(f.spec(1, "node server.js"), new Readiness(3, Duration.ofMillis(50), Duration.ofSeconds(10)));
        i.ready().get(10, TimeUnit.SECONDS);
        assertThat(i.state()).isEqualTo(Instance.State.READY);
        assertThat(Integer.parseInt(Fixture.get(i.port(), "/hits"))).isGreaterThanOrEqualTo(3);
        assertThat(f.ports.isReserved(i.port())).isTrue();
        // ready() completes just before the instance reports the event: wait for the report, then check it.
        dev.skewgate.testing.Await.until("the instance reports ready", 5_000, () -> !f.events.seen.isEmpty());
        assertThat(f.events.seen).containsExactly("ready 1");
        Path record = f.spec(1, "x").recordFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(record))).isEqualTo("rw-------");
        JsonNode r = new ObjectMapper().readTree(record.toFile());
        assertThat(r.get("pid").asLong()).isEqualTo(i.pid());
        assertThat(r.get("port").asInt()).isEqualTo(i.port());
        assertThat(r.get("startTicks").asLong()).isEqualTo(ProcessGroups.startTicks(i.pid()));
        assertThat(r.get("envRevision").asLong()).isEqualTo(7);
        assertThat(r.get("startedAt").asText()).isEqualTo(i.startedAt().toString());
    }

    @Test
    void pythonBackendReadsPortAndGetsReady() throws Exception {
        Instance i = f.launch(f.spec(1, "python3 server.py"), Fixture.QUICK);
        i.ready().get(10, TimeUnit.SECONDS);
        assertThat(Fixture.get(i.port(), "/")).isEqualTo("python ok");
    }

    @Test
    void environmentIsExactlyTheGivenOnePlusPortAndHost() throws Exception {
        Instance i = f.launch(f.spec(1, "node server.js"), Fixture.QUICK);
        i.ready().get(10, TimeUnit.SECONDS);
        JsonNode env = new ObjectMapper().readTree(Fixture.get(i.port(), "/env"));
        Set<String> keys = new TreeSet<>();
        env.fieldNames().forEachRemaining(keys::add);
        Set<String> expected = new TreeSet<>(Fixture.baseEnv().keySet());
        expected.addAll(Set.of("PORT", "HOST", "PWD")); // PWD: dash exports it (see ProcessGroups)
        assertThat(keys).isEqualTo(expected);
        assertThat(env.get("PORT").asText()).isEqualTo(Integer.toString(i.port()));
        assertThat(env.get("HOST").asText()).isEqualTo("127.0.0.1");
        assertThat(env.get("PWD").asText()).isEqualTo(f.app.toString());
    }

    @Test
    void commandNotFoundFailsWithStatus127AndTheLogTail() throws Exception {
        Instance i = f.launch(f.spec(1, "no-such-command-skewgate --port 1"), Fixture.QUICK);
        StartFailure e = failure(i);
        assertThat(e.reason()).isEqualTo("exited with status 127 before it was ready: command not found");
        assertThat(e.logTail()).anySatisfy(l -> assertThat(l).contains("no-such-command-skewgate").contains("not found"));
        assertThat(i.state()).isEqualTo(Instance.State.STOPPED);
        assertThat(f.ports.isReserved(i.port())).isFalse();
        assertThat(f.spec(1, "x").recordFile()).doesNotExist();
    }

    @Test
    void exitBeforeReadyNamesTheStatusAndShowsTheError() throws Exception {
        Instance i = f.launch(f.spec(1, "node server.js syntax"), Fixture.QUICK);
        StartFailure e = failure(i);
        assertThat(e.reason()).isEqualTo("exited with status 1 before it was ready");
        assertThat(e.logTail()).containsExactly("SyntaxError: Unexpected token");
        assertThat(i.logTail(20)).containsExactly("SyntaxError: Unexpected token");
    }

    @Test
    void listeningOnAnotherPortIsNamedInTheFailure() throws Exception {
        int other = Fixture.freePort();
        Map<String, String> env = new HashMap<>(Fixture.baseEnv());
        env.put("OTHER_PORT", Integer.toString(other));
        Instance i = f.launch(f.spec(1, "node server.js elsewhere", Duration.ofSeconds(2), env),
                new Readiness(1, Duration.ofMillis(50), Duration.ofMillis(1500)));
        StartFailure e = failure(i);
        assertThat(e.reason()).isEqualTo("listens on " + other + ", not on PORT=" + i.port()
                + " (read the PORT environment variable)");
        assertThat(e.logTail()).contains("listening on " + other);
        assertThat(ProcessGroups.members(i.pid())).isEmpty();
        assertThat(Fixture.bindable(other)).isTrue();
    }

    @Test
    void neverAnswering2xxTimesOut() throws Exception {
        Instance i = f.launch(f.spec(1, "node server.js unhealthy"),
                new Readiness(2, Duration.ofMillis(50), Duration.ofSeconds(1)));
        StartFailure e = failure(i);
        assertThat(e.reason()).isEqualTo("never answered 2xx on PORT=" + i.port() + " /health within 1s (last answer: HTTP 500)");
        assertThat(ProcessGroups.members(i.pid())).isEmpty();
        assertThat(f.ports.isReserved(i.port())).isFalse();
    }

    @Test
    void backendIgnoringSigtermIsKilledAfterTheKillTimeout() throws Exception {
        Instance i = f.launch(f.spec(1, "node server.js ignore-term", Duration.ofMillis(600), Fixture.baseEnv()),
                Fixture.QUICK);
        i.ready().get(10, TimeUnit.SECONDS);
        long pgid = i.pid();
        long t0 = System.nanoTime();
        i.stop(() -> 0).get(5, TimeUnit.SECONDS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("stop took %d ms", ms).isBetween(500L, 1600L);
        assertThat(ProcessGroups.members(pgid)).isEmpty();
        assertThat(i.state()).isEqualTo(Instance.State.STOPPED);
        assertThat(i.logTail(5)).contains("ignoring SIGTERM");
        assertThat(Fixture.bindable(i.port())).isTrue();
        assertThat(f.ports.isReserved(i.port())).isFalse();
        assertThat(f.spec(1, "x").recordFile()).doesNotExist();
        assertThat(i.stop(() -> 0)).as("idempotent").isDone();
    }

    @Test
    void stopTakesDownForkedChildrenAndFreesTheirPorts() throws Exception {
        int childPort = Fixture.freePort();
        Map<String, String> env = new HashMap<>(Fixture.baseEnv());
        env.put("OTHER_PORT", Integer.toString(childPort));
        Instance i = f.launch(f.spec(1, "node server.js fork", Duration.ofSeconds(2), env), Fixture.QUICK);
        i.ready().get(10, TimeUnit.SECONDS);
        long pgid = i.pid();
        Fixture.await("child listens", Duration.ofSeconds(5),
                () -> ProcessGroups.listeningPorts(pgid).contains(childPort));
        assertThat(ProcessGroups.members(pgid)).hasSize(2); // node (exec'd by the shell) and the child node it forked
        long t0 = System.nanoTime();
        i.stop(() -> 0).get(5, TimeUnit.SECONDS);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("SIGTERM was enough").isLessThan(1000);
        assertThat(ProcessGroups.members(pgid)).isEmpty();
        assertThat(Fixture.bindable(childPort)).isTrue();
        assertThat(Fixture.bindable(i.port())).isTrue();
    }

    @Test
    void stopWaitsForInFlightRequestsBeforeSigterm() throws Exception {
        Instance i = f.launch(f.spec(1, "node server.js"), Fixture.QUICK);
        i.ready().get(10, TimeUnit.SECONDS);
        AtomicInteger polls = new AtomicInteger();
        long t0 = System.nanoTime();
        // In flight for the first 10 polls (about 200 ms), then drained.
        i.stop(() -> polls.incrementAndGet() <= 10 ? 1 : 0).get(5, TimeUnit.SECONDS);
        assertThat(polls.get()).isEqualTo(11);
        assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(180);
        assertThat(i.lastExit()).isEmpty(); // a stop is not a crash
        assertThat(f.events.count("down")).isZero();
    }

    @Test
    void stopBeforeReadyFailsTheReadyFuture() throws Exception {
        Instance i = f.launch(f.spec(1, "sleep 30"), Fixture.QUICK);
        i.stop(() -> 0).get(5, TimeUnit.SECONDS);
        assertThat(failure(i).reason()).isEqualTo("stopped before it was ready");
    }

    @Test
    void aNewInstanceOfTheSameIndexKeepsItsRecordAndLogWhenTheOldOneStops() throws Exception {
        // A rolling restart of a single instance overlaps the old and the new process of index 1.
        Instance old = f.launch(f.spec(1, "node server.js"), Fixture.QUICK);
        old.ready().get(10, TimeUnit.SECONDS);
        Instance fresh = f.launch(f.spec(1, "node server.js"), Fixture.QUICK);
        fresh.ready().get(10, TimeUnit.SECONDS);
        assertThat(fresh.port()).isNotEqualTo(old.port());
        old.stop(() -> 0).get(5, TimeUnit.SECONDS);
        Path record = f.spec(1, "x").recordFile();
        assertThat(new ObjectMapper().readTree(record.toFile()).get("pid").asLong()).isEqualTo(fresh.pid());
        Fixture.get(fresh.port(), "/say");
        Fixture.await("still pumped", Duration.ofSeconds(3), () -> InstanceLog.read(f.spec(1, "x").logDir(),
                java.util.OptionalInt.of(1), java.util.Optional.empty(), 10).stream()
                .anyMatch(l -> l.endsWith("[1] said by " + fresh.port())));
    }

    private static StartFailure failure(Instance i) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> i.ready().get(10, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(StartFailure.class);
        return (StartFailure) e.getCause();
    }

}
