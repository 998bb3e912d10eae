package dev.skewgate.backends;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** A temp deployment directory with real Node and Python backends, a scheduler and a port allocator for a test. */
final class Fixture implements AutoCloseable {

    /** A Node backend whose behaviour is chosen by its first argument; it answers /health, /env, /crash, /hits. */
    static final String SERVER_JS = """
            const http = require('http');
            const mode = process.argv[2] || 'ok';
            let hits = 0;
            if (mode === 'ignore-term') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
            if (mode === 'fork') {
              require('child_process').spawn(process.execPath, ['child.js'], {stdio: 'inherit'});
            }
            if (mode === 'crash-soon') setTimeout(() => { console.log('crashing'); process.exit(1); }, 300);
            if (mode === 'crash-six-times') {
              const fs = require('fs');
              const n = fs.existsSync('crashes') ? Number(fs.readFileSync('crashes', 'utf8')) : 0;
              if (n < 6) setTimeout(() => { fs.writeFileSync('crashes', String(n + 1)); process.exit(1); }, 300);
            }
            if (mode === 'syntax') { console.error('SyntaxError: Unexpected token'); process.exit(1); }
            const port = Number(mode === 'elsewhere' ? process.env.OTHER_PORT : process.env.PORT);
            http.createServer((req, res) => {
              if (req.url === '/health') { hits++; res.writeHead(mode === 'unhealthy' ? 500 : 200); res.end('ok'); return; }
              if (req.url === '/hits') { res.end(String(hits)); return; }
              if (req.url === '/env') { res.end(JSON.stringify(process.env)); return; }
              if (req.url === '/say') { console.log('said by ' + port); res.end('said'); return; }
              if (req.url === '/pid') { res.end(String(process.pid)); return; }
              if (req.url === '/crash') { res.end('bye'); console.log('crash requested'); setTimeout(() => process.exit(1), 5); return; }
              res.end('hello from ' + port);
            }).listen(port, '127.0.0.1', () => console.log('listening on ' + port));
            """;

    /** The forked child of mode 'fork': it listens on OTHER_PORT in the same process group. */
    static final String CHILD_JS = """
            require('http').createServer((q, s) => s.end('child')).listen(Number(process.env.OTHER_PORT), '127.0.0.1',
              () => console.log('child listening'));
            """;

    /** The tiny Python backend: reads PORT, answers 200 everywhere. */
    static final String SERVER_PY = """
            import os, http.server
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(b'python ok')
                def log_message(self, *args):
                    pass
            print('python listening', flush=True)
            http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), Handler).serve_forever()
            """;

    static final Readiness QUICK = new Readiness(1, Duration.ofMillis(50), Duration.ofSeconds(10));
    static final Instance.Timing FAST = new Instance.Timing(Duration.ofMillis(10), 1.5, Duration.ofMillis(200),
            Duration.ofSeconds(30), Duration.ofSeconds(60), 5, Duration.ofSeconds(60), Duration.ofMillis(50));
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final Path root;
    final Path app;
    final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    final PortAllocator ports = new PortAllocator();
    final Recorder events = new Recorder();
    private final List<Instance> instances = new CopyOnWriteArrayList<>();
    private final List<Long> groups = new ArrayList<>();

    Fixture(Path root) {
        this.root = root;
        this.app = root.resolve("app");
        try {
            Files.createDirectories(app);
            Files.writeString(app.resolve("server.js"), SERVER_JS);
            Files.writeString(app.resolve("child.js"), CHILD_JS);
            Files.writeString(app.resolve("server.py"), SERVER_PY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The environment a supervisor would give: PATH and HOME (pyenv's python3 shim needs it), and one of ours. */
    static Map<String, String> baseEnv() {
        return Map.of("PATH", System.getenv("PATH"), "HOME", System.getProperty("user.home"), "SKEWGATE_SITE", "shop");
    }

    InstanceSpec spec(int index, String run) {
        return spec(index, run, Duration.ofSeconds(2), baseEnv());
    }

    InstanceSpec spec(int index, String run, Duration killTimeout, Map<String, String> env) {
        return new InstanceSpec("shop", "d1", index, app, run, env, "/health", killTimeout, root.resolve("run/d1"),
                root.resolve("logs/shop/d1"), 7);
    }

    Instance launch(InstanceSpec spec, Readiness readiness) {
        return track(Instance.launch(spec, readiness, ports, events, scheduler));
    }

    Instance launch(InstanceSpec spec, Readiness readiness, Instance.Timing timing) {
        return track(Instance.launch(spec, readiness, ports, events, scheduler, timing));
    }

    Instance track(Instance i) {
        instances.add(i);
        return i;
    }

    /** A group to SIGKILL at the end whatever happens (a test that abandons an instance on purpose). */
    void killAtEnd(long pgid) {
        groups.add(pgid);
    }

    static String get(int port, String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(2)).build();
        return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body();
    }

    static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void await(String what, Duration max, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + max + " waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }

    @Override
    public void close() throws Exception {
        for (Instance i : instances) {
            try {
                i.stop(() -> 0).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // still kill below
            }
            if (i.pid() > 1 && !ProcessGroups.members(i.pid()).isEmpty()) {
                ProcessGroups.signalGroup(i.pid(), "KILL");
            }
        }
        for (long g : groups) {
            if (!ProcessGroups.members(g).isEmpty()) {
                ProcessGroups.signalGroup(g, "KILL");
            }
        }
        scheduler.shutdownNow();
    }

    /** Records events as "ready 1", "down 1: why", "failing 1: why". */
    static final class Recorder implements InstanceEvents {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void ready(Instance instance) {
            seen.add("ready " + instance.index());
        }

        @Override
        public void down(Instance instance, String why) {
            seen.add("down " + instance.index() + ": " + why);
        }

        @Override
        public void failing(Instance instance, String why) {
            seen.add("failing " + instance.index() + ": " + why);
        }

        long count(String prefix) {
            return seen.stream().filter(s -> s.startsWith(prefix)).count();
        }
    }
}
