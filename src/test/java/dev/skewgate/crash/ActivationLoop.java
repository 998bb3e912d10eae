package dev.skewgate.crash;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skewgate.crash.ChildGateway.Reply;
import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Switches a site's live deployment as fast as the gateway answers (activate another deployment, or roll back)
 * until the gateway dies, remembering the last acknowledged switch and the one that was in flight.
 */
final class ActivationLoop {

    private final ChildGateway gateway;
    private final String site;
    private final List<String> deployments;
    private final Random random;
    private final CountDownLatch firstChange = new CountDownLatch(1);
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final Thread thread;

    // Written by the loop's thread only; read by the test after awaitEnd (Thread.join orders the two).
    private String current;
    private String before;
    private String target;
    private int acknowledged;
    private boolean interruptedMidRequest;

    private ActivationLoop(ChildGateway gateway, String site, List<String> deployments, JsonNode newestSwitch,
                           long seed) {
        this.gateway = gateway;
        this.site = site;
        this.deployments = deployments;
        this.random = new Random(seed);
        this.current = newestSwitch.path("deployment").asText();
        this.before = newestSwitch.path("previous").isTextual() ? newestSwitch.path("previous").asText() : null;
        this.thread = new Thread(this::run, "activation-loop");
        this.thread.setDaemon(true);
    }

    /** Starts switching from the state the newest activate/rollback event describes. */
    static ActivationLoop start(ChildGateway gateway, String site, List<String> deployments, JsonNode newestSwitch,
                                long seed) {
        ActivationLoop loop = new ActivationLoop(gateway, site, deployments, newestSwitch, seed);
        loop.thread.start();
        return loop;
    }

    private void run() {
        while (true) {
            boolean rollback = before != null && random.nextInt(3) == 0;
            target = rollback ? before : another(current);
            Reply reply;
            try {
                reply = rollback
                        ? gateway.post("/v1/sites/" + site + "/rollback", Map.of())
                        : gateway.post("/v1/sites/" + site + "/activate", Map.of("deployment", target));
            } catch (ConnectException e) {
                return; // the gateway was already gone: this switch never reached it
            } catch (IOException e) {
                interruptedMidRequest = true;
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (reply.status() != 200) {
                problems.add((rollback ? "rollback" : "activate " + target) + " answered " + reply.status() + " "
                        + reply.body());
                return;
            }
            JsonNode event = reply.body().path("event");
            String now = event.path("deployment").asText();
            String replaced = event.path("previous").asText();
            if (!now.equals(target) || !replaced.equals(current)) {
                problems.add((rollback ? "rollback" : "activate " + target) + " from " + current + " (before it "
                        + before + ") recorded " + event);
            }
            before = replaced;
            current = now;
            acknowledged++;
            firstChange.countDown();
        }
    }

    private String another(String active) {
        List<String> others = new ArrayList<>(deployments);
        others.remove(active);
        return others.get(random.nextInt(others.size()));
    }

    boolean awaitFirstChange(long timeout, TimeUnit unit) throws InterruptedException {
        return firstChange.await(timeout, unit);
    }

    boolean awaitEnd(long timeout, TimeUnit unit) throws InterruptedException {
        thread.join(unit.toMillis(timeout));
        return !thread.isAlive();
    }

    /** Unexpected answers seen before the gateway died. */
    List<String> problems() {
        return List.copyOf(problems);
    }

    int acknowledged() {
        return acknowledged;
    }

    /** Whether the gateway died while a switch request was outstanding. */
    boolean interruptedMidRequest() {
        return interruptedMidRequest;
    }

    /** After the crash either the last acknowledged switch holds or the one in flight committed: nothing else. */
    Set<String> possiblyActive() {
        return target == null || target.equals(current) ? Set.of(current) : Set.of(current, target);
    }
}
