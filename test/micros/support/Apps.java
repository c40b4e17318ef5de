package micros.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

import micros.Emulator;
import micros.runtime.AppRuntime;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.spacefile.App;
import micros.spacefile.SpacefileReader;

/** Fixture apps copied to a temporary folder and run in-process, with their log captured. */
public final class Apps {
    public static final Path FIXTURES = Path.of("test/fixtures/apps").toAbsolutePath();
    public static final String OWNER = "test-owner-token-0123456789", API_KEY = "test-api-key-0123456789";

    /** When true (a test class with {@link RemoteMicros.GatewayMode}), {@link #start} runs `micros gateway` in front of micros the test starts. */
    static volatile boolean gatewayMode;

    private Apps() {}

    public static boolean gatewayMode() {
        return gatewayMode;
    }

    /** Skips the test (with the reason) when a runtime the fixture needs is missing. */
    public static void require(String... runtimes) {
        for (String r : runtimes)
            Assumptions.assumeTrue(AppRuntime.onPath(r) != null, r + " is not on PATH: this test runs real " + r + " micros");
    }

    public static Path copy(String name, Path into) throws IOException {
        Path from = FIXTURES.resolve(name), to = into.resolve(name);
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return to;
    }

    /** Options a test may change; the rest are run's defaults. */
    public record Options(boolean dev, Duration idle, Map<String, String> env, RunConfig.Limits limits, boolean isPublic, RunConfig.Sandboxing sandbox, boolean freeze,
                          int instances) {
        public Options(boolean dev, Duration idle, Map<String, String> env, RunConfig.Limits limits, boolean isPublic, RunConfig.Sandboxing sandbox) {
            this(dev, idle, env, limits, isPublic, sandbox, !dev, RunConfig.INSTANCES);
        }

        public static Options defaults() {
            return new Options(false, Duration.ofMinutes(5), Map.of(), RunConfig.Limits.SPACE, true, RunConfig.Sandboxing.SPACE, true, RunConfig.INSTANCES);
        }

        public Options freeze(boolean f) {
            return new Options(dev, idle, env, limits, isPublic, sandbox, f, instances);
        }

        /** --instances */
        public Options instances(int n) {
            return new Options(dev, idle, env, limits, isPublic, sandbox, freeze, n);
        }

        public Options dev(boolean d) {
            return new Options(d, idle, env, limits, isPublic, d ? new RunConfig.Sandboxing(false, sandbox.tmpSize(), sandbox.user()) : sandbox).instances(instances);
        }

        public Options idle(Duration d) {
            return new Options(dev, d, env, limits, isPublic, sandbox).instances(instances);
        }

        public Options env(Map<String, String> e) {
            return new Options(dev, idle, e, limits, isPublic, sandbox).instances(instances);
        }

        public Options limits(RunConfig.Limits l) {
            return new Options(dev, idle, env, l, isPublic, sandbox).instances(instances);
        }

        public Options sandbox(RunConfig.Sandboxing s) {
            return new Options(dev, idle, env, limits, isPublic, s).instances(instances);
        }

        public Options isPublic(boolean p) {
            return new Options(dev, idle, env, limits, p, sandbox).instances(instances);
        }

        public Options limits(Duration timeout, long memory, int pids, long payload) {
            return limits(new RunConfig.Limits(timeout, memory, pids, payload, true));
        }
    }

    /** A running fixture app and everything it logged. */
    public static final class Running implements AutoCloseable {
        public final Emulator emulator;
        public final List<Log.Line> lines;
        private final ByteArrayOutputStream out;
        private final AutoCloseable remote; // gateway mode: the micros the test started, else null

        Running(Emulator e, ByteArrayOutputStream out, List<Log.Line> lines) {
            this(e, out, lines, null);
        }

        Running(Emulator e, ByteArrayOutputStream out, List<Log.Line> lines, AutoCloseable remote) {
            this.emulator = e;
            this.out = out;
            this.lines = lines;
            this.remote = remote;
        }

        public int port() {
            return emulator.port();
        }

        public String url(String path) {
            return emulator.url() + path;
        }

        public String output() {
            return out.toString(StandardCharsets.UTF_8);
        }

        public boolean logged(String text) {
            return lines.stream().anyMatch(l -> l.text().contains(text));
        }

        /** Waits up to 10 s for a log line containing the text. */
        public boolean awaitLog(String text) throws InterruptedException {
            long until = System.nanoTime() + 10_000_000_000L;
            while (!logged(text) && System.nanoTime() < until) Thread.sleep(10);
            return logged(text);
        }

        @Override
        public void close() {
            emulator.close();
            if (remote != null) {
                try {
                    remote.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    public static Running start(Path appDir, Options o) {
        return start(appDir, o, null);
    }

    /** Starts with a given limiter; null detects this machine's, as `run` does. */
    public static Running start(Path appDir, Options o, micros.sandbox.Limiter limiter) {
        Path spacefile = SpacefileReader.locate(appDir.toString()); // a Spacefile, or a Deta Cloud micro's .deta/prog_info
        App app = SpacefileReader.read(spacefile).app();
        if (app == null) throw new IllegalStateException("fixture " + appDir + " is invalid: " + SpacefileReader.read(spacefile).problems());
        RunConfig cfg = new RunConfig(spacefile, "127.0.0.1", 0, o.dev(), false, o.idle(), o.env(), o.isPublic(), Log.Format.TEXT,
                "dev", o.limits(), OWNER, List.of(API_KEY), o.sandbox(), o.freeze(), true, o.instances());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Log log = new Log(new PrintStream(out, true, StandardCharsets.UTF_8), Log.Format.TEXT, false);
        List<Log.Line> lines = new CopyOnWriteArrayList<>();
        log.listen(lines::add);
        if (gatewayMode && limiter == null) return gateway(app, cfg, log, out, lines);
        return new Running(limiter == null ? Emulator.start(app, cfg, log) : Emulator.start(app, cfg, log, limiter), out, lines);
    }

    /** `micros gateway` in-process, in front of the app's process micros started here on their own ports. */
    private static Running gateway(App app, RunConfig cfg, Log log, ByteArrayOutputStream out, List<Log.Line> lines) {
        RemoteMicros remote;
        try {
            remote = RemoteMicros.start(app, cfg.env());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        java.util.Map<String, String> env = new java.util.HashMap<>(cfg.env());
        env.put("DETA_API_KEY", remote.apiKey); // the key the micros were given (from a Secret, in a cluster)
        RunConfig shared = new RunConfig(cfg.spacefile(), cfg.host(), cfg.port(), false, false, cfg.idle(), Map.copyOf(env), cfg.isPublic(),
                cfg.logFormat(), cfg.appVersion(), cfg.limits(), cfg.ownerToken(), cfg.apiKeys(), cfg.sandbox(), false);
        try {
            return new Running(Emulator.start(app, shared, log, micros.sandbox.Limiter.platform(cfg.limits()), remote.remotes()), out, lines, remote);
        } catch (RuntimeException e) {
            remote.close();
            throw e;
        }
    }
}
