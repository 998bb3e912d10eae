package dev.skewgate.model;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How a site proves a switch is safe and watches it afterwards.
 *
 * @param readinessProbes consecutive healthy probes each upstream must answer before a switch (0 turns them off)
 * @param readinessTimeout how long a backend may take to become ready before the switch is refused
 * @param synthetic whether every host name is checked through the edge before a switch
 * @param interval how often the active deployment is re-checked (zero: never)
 * @param autoRollback roll back when the continuous checks fail twice in a row after a switch
 * @param retireWhenIdle retire a previous deployment once it has had no traffic and no open tab for this long
 * @param wildcardSamples the name checked for each wildcard host ({@code *.example.com -> www.example.com})
 */
public record CheckSettings(
        int readinessProbes,
        Duration readinessTimeout,
        boolean synthetic,
        Duration interval,
        boolean autoRollback,
        Optional<Duration> retireWhenIdle,
        Map<String, String> wildcardSamples) {

    public static final CheckSettings DEFAULT =
            new CheckSettings(3, Duration.ofSeconds(30), true, Duration.ofMinutes(1), false, Optional.empty(), Map.of());

    public CheckSettings {
        wildcardSamples = Map.copyOf(wildcardSamples);
    }
}
