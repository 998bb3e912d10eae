package dev.skewgate.metrics;

import dev.skewgate.routing.Routes;
import dev.skewgate.routing.RoutingTable;
import dev.skewgate.routing.SiteRoute;
import dev.skewgate.traffic.TrafficMeter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * The gateway's Prometheus metrics: plain Micrometer meters, most of them read at scrape time from counters the data
 * plane keeps anyway ({@link TrafficMeter}, open tabs, tunnels), so the request path gains nothing but a LongAdder.
 * Label values come only from the routing snapshot (site, deployment, host names) and from fixed code sets (status
 * class, refusal code): an unknown Host creates no series, and a purged deployment's series are removed.
 */
public final class GatewayMetrics implements AutoCloseable {

    /** Buckets of the upstream latency histogram: from a cached answer to a slow report, in seconds. */
    static final Duration[] UPSTREAM_BUCKETS = seconds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
            2.5, 5, 10, 30);
    /** Buckets of the event-loop lag histogram: under a millisecond is healthy, over 100 ms users notice. */
    static final Duration[] LAG_BUCKETS = seconds(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5);
    private static final long BLOB_BYTES_EVERY_MS = 60_000;
    private static final String[] CLASSES = {"2xx", "3xx", "4xx", "5xx"};

    /**
     * Where the read-at-scrape values come from.
     *
     * @param openTabs open event streams of a site by the deployment each tab booted
     * @param openWebSockets open WebSocket tunnels of a deployment
     * @param blobBytes bytes in the blob store (a folder walk: called on the scraping thread, at most once a minute)
     * @param accessLogDropped access-log lines dropped because the writer fell behind
     * @param certificateExpiry the expiry (epoch seconds) of the certificate served for each host name
     */
    public record Sources(Routes routing, TrafficMeter traffic, Function<String, Map<String, Integer>> openTabs,
                          ToIntFunction<String> openWebSockets, LongSupplier blobBytes, LongSupplier accessLogDropped,
                          java.util.function.Supplier<Map<String, Long>> certificateExpiry) {
    }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Sources sources;
    private final Map<String, List<Meter>> byDeployment = new ConcurrentHashMap<>();
    private final Map<String, Timer> upstream = new ConcurrentHashMap<>();
    private final Map<String, List<Meter>> bySite = new ConcurrentHashMap<>();
    private final Set<String> purged = ConcurrentHashMap.newKeySet();
    private final LongAdder unknownHost = new LongAdder();
    private final MultiGauge tabs;
    private final MultiGauge sockets;
    private final MultiGauge certificates;
    private final AtomicLong blobBytes = new AtomicLong(-1);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private long blobBytesAt;

    public GatewayMetrics(Sources sources) {
        this.sources = sources;
        tabs = MultiGauge.builder("skewgate.open.tabs")
                .description("Browser tabs with an open event stream, by the deployment they booted").register(registry);
        sockets = MultiGauge.builder("skewgate.open.websockets")
                .description("WebSocket tunnels open to a deployment's backend").register(registry);
        certificates = MultiGauge.builder("skewgate.certificate.expiry.timestamp").baseUnit("seconds")
                .description("When the certificate served for a host name expires (Unix time)").register(registry);
        FunctionCounter.builder("skewgate.unknown.host.requests", unknownHost, LongAdder::sum)
                .description("Requests for a host name no site serves (no host label: clients choose it)")
                .register(registry);
        Gauge.builder("skewgate.blob.store", blobBytes, AtomicLong::get).baseUnit("bytes")
                .description("Bytes of file content in the blob store (measured at most once a minute)")
                .register(registry);
        FunctionCounter.builder("skewgate.access.log.dropped", sources, s -> s.accessLogDropped().getAsLong())
                .description("Access-log lines dropped because the writer fell behind (the event loop never waits)")
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private static Duration[] seconds(double... values) {
        Duration[] d = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            d[i] = Duration.ofNanos(Math.round(values[i] * 1e9));
        }
        return d;
    }

    /** The Prometheus text exposition (format 0.0.4) of every series, refreshed from the sources first. */
    public synchronized String scrape() {
        RoutingTable table = sources.routing().current();
        refreshDeployments(table);
        refreshGauges(table);
        List<MultiGauge.Row<?>> certRows = new ArrayList<>();
        sources.certificateExpiry().get().forEach((host, expiry) ->
                certRows.add(MultiGauge.Row.of(io.micrometer.core.instrument.Tags.of("host", host), expiry)));
        certificates.register(certRows, true);
        long now = System.currentTimeMillis();
        if (blobBytes.get() < 0 || now - blobBytesAt >= BLOB_BYTES_EVERY_MS) {
            blobBytes.set(sources.blobBytes().getAsLong());
            blobBytesAt = now;
        }
        return registry.scrape();
    }

    /** The content type of {@link #scrape}'s text. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    /** A request for a host name no site serves. */
    public void unknownHost() {
        unknownHost.increment();
    }

    /** How long a deployment's backend took to send the response head (connection wait included). */
    public void upstream(String site, String deployment, long nanos) {
        Timer timer = upstream.get(deployment);
        if (timer == null) {
            if (purged.contains(deployment)) {
                return;
            }
            timer = upstream.computeIfAbsent(deployment, d -> Timer.builder("skewgate.upstream.latency")
                    .description("Time from sending a request to a backend to its response head")
                    .tags("site", site, "deployment", d)
                    .serviceLevelObjectives(UPSTREAM_BUCKETS)
                    .register(registry));
        }
        timer.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A switch went live: an activation or a rollback (manual, auto-rollback or crash loop). */
    public void switched(String site, String reason) {
        String name = reason.equals("rollback") ? "skewgate.rollbacks" : "skewgate.activations";
        Counter.builder(name).description(reason.equals("rollback") ? "Rollbacks that went live"
                        : "Activations that went live").tags("site", site).register(registry).increment();
    }

    /** An activation was refused; {@code code} is the error code the admin API answered (a fixed set). */
    public void activationRefused(String site, String code) {
        if (!sources.routing().current().sites().containsKey(site)) {
            return; // a mistyped site name must not become a series
        }
        Counter.builder("skewgate.activations.refused").description("Activations refused, by reason (error code)")
                .tags("site", site, "reason", code).register(registry).increment();
    }

    /** A synthetic or continuous check of a host failed. */
    public void checkFailed(String site, String host, String check) {
        Counter.builder("skewgate.check.failures")
                .description("Synthetic (before a switch) and continuous check failures, by host name")
                .tags("site", site, "host", host, "check", check).register(registry).increment();
    }

    /** Every series of these deployments ends: they are purged and will never serve again. */
    public synchronized void purged(Collection<String> deployments) {
        purged.addAll(deployments);
        sources.traffic().forget(deployments);
        for (String d : deployments) {
            List<Meter> meters = byDeployment.remove(d);
            if (meters != null) {
                meters.forEach(registry::remove);
            }
            Timer timer = upstream.remove(d);
            if (timer != null) {
                registry.remove(timer);
            }
        }
    }

    /** Registers the lag histogram of one event loop (index 0 to the number of edge loops). */
    public Timer eventLoopLag(int loop) {
        return Timer.builder("skewgate.event.loop.lag")
                .description("How late a periodic timer fired on an edge event loop (time the loop was blocked)")
                .tags("loop", Integer.toString(loop))
                .serviceLevelObjectives(LAG_BUCKETS)
                .register(registry);
    }

    private void refreshDeployments(RoutingTable table) {
        for (Map.Entry<String, TrafficMeter.Counter> e : sources.traffic().servedCounters().entrySet()) {
            String id = e.getKey();
            if (byDeployment.containsKey(id) || purged.contains(id)) {
                continue;
            }
            TrafficMeter.Counter c = e.getValue();
            List<Meter> meters = new ArrayList<>();
            for (String cls : CLASSES) {
                char digit = cls.charAt(0);
                meters.add(FunctionCounter.builder("skewgate.requests", c, x -> x.answered(digit))
                        .description("Requests answered by a deployment, by status class")
                        .tags("site", c.site(), "deployment", id, "status_class", cls).register(registry));
            }
            byDeployment.put(id, meters);
        }
        for (Map.Entry<String, TrafficMeter.Counter> e : sources.traffic().retiredCounters().entrySet()) {
            String id = e.getKey();
            String key = "retired:" + id;
            if (byDeployment.containsKey(key) || purged.contains(id)) {
                continue;
            }
            TrafficMeter.Counter c = e.getValue();
            byDeployment.put(key, List.of(FunctionCounter.builder("skewgate.retired.requests", c,
                            TrafficMeter.Counter::total)
                    .description("Requests pinned to a retired deployment: something still runs code that was "
                            + "turned off")
                    .tags("site", c.site(), "deployment", id).register(registry)));
        }
        // A retired key's meters go with the deployment's own.
        for (String d : new ArrayList<>(purged)) {
            List<Meter> late = byDeployment.remove("retired:" + d);
            if (late != null) {
                late.forEach(registry::remove);
            }
        }
        dropDeletedSites(table);
    }

    /** Counters labelled with a site that no longer exists (deleted) or a host it no longer serves go. */
    private void dropDeletedSites(RoutingTable table) {
        for (Meter m : registry.getMeters()) {
            String site = m.getId().getTag("site");
            if (site == null) {
                continue;
            }
            SiteRoute route = table.sites().get(site);
            String host = m.getId().getTag("host");
            if (route == null && table.generation() > 0 || route != null && host != null
                    && !route.hosts().contains(host)) {
                registry.remove(m);
            }
        }
    }

    private void refreshGauges(RoutingTable table) {
        List<MultiGauge.Row<?>> tabRows = new ArrayList<>();
        List<MultiGauge.Row<?>> socketRows = new ArrayList<>();
        for (SiteRoute site : table.sites().values()) {
            Map<String, Integer> open = sources.openTabs().apply(site.name());
            Set<String> known = new HashSet<>(site.servable().keySet());
            known.addAll(site.pending());
            for (String retired : site.retired()) {
                // A retired deployment shows only while something is still open on it: tabs report the id they
                // booted, so only ids the site knows become labels.
                if (open.getOrDefault(retired, 0) > 0 || sources.openWebSockets().applyAsInt(retired) > 0) {
                    known.add(retired);
                }
            }
            for (String d : known) {
                Tags tags = Tags.of("site", site.name(), "deployment", d);
                int t = open.getOrDefault(d, 0);
                int s = sources.openWebSockets().applyAsInt(d);
                tabRows.add(MultiGauge.Row.of(tags, t));
                socketRows.add(MultiGauge.Row.of(tags, s));
            }
        }
        tabs.register(tabRows, true);
        sockets.register(socketRows, true);
    }

    /** For tests: the registry's meters. */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
