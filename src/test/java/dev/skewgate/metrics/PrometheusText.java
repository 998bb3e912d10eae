package dev.skewgate.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A metrics page parsed by the Prometheus project's own Python client ({@code prometheus_client.parser}, Debian's
 * python3-prometheus-client): a page that parser rejects fails the test, and the samples it reads are what is checked.
 */
record PrometheusText(List<Sample> samples) {

    /** Debian's interpreter, which sees Debian's python3-prometheus-client (a pyenv python3 on PATH would not). */
    private static final String PYTHON = "/usr/bin/python3";
    private static final String PARSER = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels,
                                "value": s.value})
            print(json.dumps(out))
            """;

    /** One sample: its name (with _total, _bucket...), its labels, its value, and its family's type. */
    record Sample(String family, String type, String name, Map<String, String> labels, double value) {
    }

    static PrometheusText parse(String page) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(PYTHON, "-c", PARSER).redirectErrorStream(false).start();
        p.getOutputStream().write(page.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("the Prometheus parser refused the page: " + err + "\n" + page);
        }
        List<Sample> samples = new ArrayList<>();
        for (JsonNode s : new ObjectMapper().readTree(out)) {
            Map<String, String> labels = new LinkedHashMap<>();
            s.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            samples.add(new Sample(s.path("family").asText(), s.path("type").asText(), s.path("name").asText(), labels,
                    s.path("value").asDouble()));
        }
        return new PrometheusText(samples);
    }

    /** The samples of this name whose labels include all of these (name, value pairs). */
    List<Sample> find(String name, String... labels) {
        return samples.stream().filter(s -> s.name().equals(name)).filter(s -> {
            for (int i = 0; i < labels.length; i += 2) {
                if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
                    return false;
                }
            }
            return true;
        }).toList();
    }

    /** The value of the one sample of this name and labels; 0 when there is none (a counter not yet created). */
    double value(String name, String... labels) {
        List<Sample> found = find(name, labels);
        if (found.size() > 1) {
            throw new AssertionError("more than one sample " + name + " " + List.of(labels) + ": " + found);
        }
        return found.isEmpty() ? 0 : found.get(0).value();
    }

    boolean anyLabelValue(String value) {
        return samples.stream().anyMatch(s -> s.labels().containsValue(value));
    }
}
