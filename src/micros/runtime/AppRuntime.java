package micros.runtime;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import micros.build.BuildStep;
import micros.build.Prepared;
import micros.sandbox.BuildSandbox;
import micros.sandbox.Limiter;
import micros.sandbox.MicroGroup;
import micros.sandbox.Sandbox;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.util.UserError;

/**
 * The app's micros at run time: how each starts, a {@link Supervisor} for each process micro,
 * the folders of static ones, the idle sweeper, and shutdown of everything started.
 */
public final class AppRuntime {
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);
    private static final long TRIM_ABOVE = 96L << 20;
    private static final boolean HAS_SETSID = onPath("setsid") != null;

    private final App app;
    private final RunConfig cfg;
    private final Log log;
    private final Map<String, String> shell = System.getenv();
    private final Map<String, Engines.Start> plans = new LinkedHashMap<>();
    private final Map<String, Supervisor> supervisors = new LinkedHashMap<>();
    private final Map<String, Prepared> built;   // what the build step left for each micro
    private final Path runDir;
    private final java.util.function.Function<Path, Map<String, String>> dataSource; // the data hosts and CA variables, given the bundle's path
    private final Map<String, BuildStep.SearchPath> searchPaths = new java.util.HashMap<>(); // PATH as each uid:gid may search it; guarded by itself
    private final java.util.Set<String> pathNotes = new java.util.HashSet<>(); // what was said of PATH, said once; guarded by searchPaths
    private final List<Path> hidden;               // folders no micro and no build sees: the owner's folder, micros' CA
    private RunDir run; // holds the folder's lock while the run lives
    private final String projectKey;
    private final String apiKey;
    private final Limiter limiter;
    private final Sandbox sandbox;
    private final java.util.concurrent.ScheduledExecutorService freezer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "micros-freezer");
        t.setDaemon(true);
        return t;
    });
    private final StateDir state;
    private final Metrics metrics;
    private volatile String hostname = "localhost";
    private Map<String, String> dataEnv = Map.of(); // guarded by this
    private boolean dataEnvSet;                     // guarded by this
    private volatile boolean closed;
    private Thread sweeper;

    public AppRuntime(App app, RunConfig cfg, Log log, StateDir state, Limiter limiter, Sandbox sandbox) {
        this(app, cfg, log, state, limiter, sandbox, Map.of(), bundle -> Map.of());
    }

    /**
     * @param remotes    process micros that run elsewhere, by name ({@code micros gateway}): forwarded to, never started
     * @param dataSource the data hosts and CA variables, given where the CA bundle goes (may wait for the data server)
     */
    public AppRuntime(App app, RunConfig cfg, Log log, StateDir state, Limiter limiter, Sandbox sandbox, Map<String, Remote> remotes,
                      java.util.function.Function<Path, Map<String, String>> dataSource) {
        this.app = app;
        this.cfg = cfg;
        this.log = log;
        this.limiter = limiter;
        this.sandbox = sandbox;
        this.state = state;
        this.metrics = new Metrics(app);
        // remote micros got their DETA_API_KEY from their platform (a Secret): the gateway accepts the same one
        String shared = remotes.isEmpty() ? null : cfg.env().getOrDefault("DETA_API_KEY", shell.get("DETA_API_KEY"));
        this.apiKey = shared != null && !shared.isBlank() ? shared : StateDir.token();
        this.projectKey = state.projectKey();
        this.dataSource = dataSource;
        log.secret(projectKey); // DETA_PROJECT_KEY: full access to the app's data on Space
        log.secret(apiKey);
        this.hidden = cfg.dev() ? List.of() : hidden(app, state);
        try {
            this.runDir = runDir();
        } catch (IOException e) {
            limiter.close();
            throw UserError.runtime("cannot create a temporary folder for the run (" + e.getMessage() + "): check that " + System.getProperty("java.io.tmpdir") + " is writable");
        }
        try {
            this.built = build(remotes);
        } catch (RuntimeException e) {
            deleteRunDir();
            throw e;
        }
        List<String> config = new ArrayList<>(), missing = new ArrayList<>();
        for (Micro m : app.micros()) {
            Path src = srcDir(m);
            Engines.Start plan = Engines.plan(m, codeDir(m), cfg.dev(), runDir);
            Prepared prepared = built.getOrDefault(m.name(), Prepared.NOTHING); // a remote micro is built where it runs
            boolean buildFailed = prepared.failure() != null;
            if (buildFailed) plan = new Engines.Unavailable(prepared.failure());
            else if (plan instanceof Engines.Command c && prepared.python() != null && c.argv().get(0).equals("python3")) { // the legacy launcher
                List<String> argv = new ArrayList<>(c.argv());
                argv.set(0, prepared.python().toString());
                String which = prepared.pathFirst() != null ? "python3 of its virtualenv" : prepared.python().toString();
                plan = new Engines.Command(List.copyOf(argv), c.shown().replaceFirst("^python3", which), c.env(), List.of());
            }
            plans.put(m.name(), plan);
            Remote remote = remotes.get(m.name()); // (a Remote never needs a launcher or a src folder here)
            if (remote != null) { // its src folder and runtimes live where it runs
                supervisors.put(m.name(), Supervisor.remote(m, remote, group(m), log));
                continue;
            }
            if (!Files.isDirectory(src)) {
                config.add("micro '" + m.name() + "': its src folder '" + m.src() + "' does not exist in " + app.root());
                continue;
            }
            if (plan instanceof Engines.Folder f && !buildFailed && !Files.isDirectory(f.folder()))
                config.add(notServed(m, f, src));
            if (plan instanceof Engines.Unavailable u && !cfg.dev() && !buildFailed) config.add(u.reason());
            if (plan instanceof Engines.Command) {
                try {
                    sandbox.assign(m.name()); // its uid now: uids go in Spacefile order
                } catch (UserError e) {
                    config.add(e.getMessage());
                }
            }
            if (plan instanceof Engines.Command c) {
                for (String runtime : c.runtimes())
                    if (onPath(runtime) == null) missing.add("micro '" + m.name() + "' needs " + runtime + ", which is not on PATH: " + install(runtime));
                // each instance in a cgroup of its own: api@1, api@2 ... (a slot's group serves the instances that take the slot)
                Supervisor.Spawner spawner = new Supervisor.Spawner() {
                    @Override
                    public Process spawn(int port, MicroGroup group, int slot) throws IOException {
                        return AppRuntime.this.spawn(m, c, port, group, slot);
                    }

                    @Override
                    public String squatter(int port) { // with a uid of its own, its listener is known by that uid
                        int[] ids = sandbox.ids(m.name());
                        return ids == null ? null : micros.util.Listeners.foreign(port, ids[0]);
                    }
                };
                supervisors.put(m.name(), new Supervisor(m, spawner, slot -> limiter.group(m.name() + "@" + (slot + 1)),
                        cfg.instances(), cfg.limits().timeout(), log, null, cfg.freeze() ? freezer : null));
            } else if (plan instanceof Engines.Unavailable u) {
                supervisors.put(m.name(), Supervisor.unavailable(m, group(m), log, u.reason()));
            }
        }
        if (!config.isEmpty() || !missing.isEmpty()) {
            supervisors.values().forEach(sv -> sv.retire("not started", Duration.ZERO));
            limiter.close();
            sandbox.close();
            deleteRunDir();
            if (!config.isEmpty()) throw UserError.config(String.join("\n", config));
            throw UserError.runtime(String.join("\n", missing));
        }
    }

    /** Why a static micro's folder to serve is missing: not built, or left out of the upload by the ignore rules. */
    private String notServed(Micro m, Engines.Folder f, Path src) {
        String start = "micro '" + m.name() + "': the folder to serve, '" + f.relative() + "', ";
        if (cfg.dev()) return start + "does not exist in '" + m.src() + "': build it first, or set 'serve' to the folder your build writes";
        boolean ignored = false;
        try {
            ignored = Files.isDirectory(src.resolve(f.relative())) && micros.spacefile.Ignore.forMicro(app, src).ignored(Builder.relative(f.relative()), true);
        } catch (IOException e) {
            // unreadable .spaceignore: the plain message
        }
        if (ignored) return start + "is in '" + m.src() + "' but not in what Space would have uploaded (the ignore rules leave it out: Space built it):"
                + " add 'commands' that build it, or upload it as it is with a line !" + f.relative() + " in " + m.src() + "/.spaceignore";
        return start + "is not in what Space would have uploaded from '" + m.src() + "', and no build made it: add 'commands' that build it, or set 'serve' to the folder your build writes";
    }

    /** What no micro and no build sees: the owner's folder (micros run their stage) and micros' CA (its private keys). */
    private static List<Path> hidden(App app, StateDir state) {
        List<Path> out = new ArrayList<>();
        for (Path p : List.of(app.root(), state.path(), micros.data.tls.LocalCa.defaultDir())) {
            try {
                Path real = p.toRealPath();
                if (real.getParent() != null && !out.contains(real)) out.add(real);
            } catch (IOException e) {
                // not there: nothing to cover
            }
        }
        return List.copyOf(out);
    }

    /**
     * Space's builder: installs, --build's commands, frontend builds; a micro whose install fails answers 503.
     * It runs before the run's shutdown hook exists: SIGTERM or Ctrl-C meanwhile ends the step in
     * progress (and all it started) and removes the run's cgroups here.
     */
    private Map<String, Prepared> build(Map<String, Remote> remotes) {
        BuildSandbox builds = new BuildSandbox(limiter, state::recordProcess, state::forgetProcess, log::event);
        Thread stop = new Thread(() -> {
            log.event("stopping: ending the build in progress");
            builds.close();
            limiter.close();
            log.event("stopped");
        }, "micros-build-stop");
        try {
            Runtime.getRuntime().addShutdownHook(stop);
        } catch (IllegalStateException stopping) { // a signal came before the build: nothing of it runs
            limiter.close();
            throw UserError.runtime("stopped before the build");
        }
        try {
            BuildStep.removeStale(state.path(), app.micros().stream().map(Micro::name).toList(), log);
            BuildStep.Settings settings = new BuildStep.Settings(state.path(), shell, this::searchPath, cfg.install(), cfg.build(),
                    cfg.dev(), sandbox::ids, sandbox.on(), hidden, runDir, this::dataEnvNow, projectKey, cfg.env());
            Map<String, Prepared> built = BuildStep.run(Remote.without(app, remotes, log), settings, log, builds);
            if (builds.closed()) throw UserError.runtime("stopped during the build");
            return built;
        } catch (RuntimeException e) {
            limiter.close();
            throw e;
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stop);
            } catch (IllegalStateException stopping) {
                // the hook runs now
            }
        }
    }

    private MicroGroup group(Micro m) {
        return limiter.group(m.name());
    }

    public App app() {
        return app;
    }

    public Limiter limiter() {
        return limiter;
    }

    public Sandbox sandbox() {
        return sandbox;
    }

    public Metrics metrics() {
        return metrics;
    }

    public RunConfig config() {
        return cfg;
    }

    public String apiKey() {
        return apiKey;
    }

    public Engines.Start plan(Micro m) {
        return plans.get(m.name());
    }

    /** Micros whose install or frontend build failed, with the reason (they answer 503). */
    public Map<String, String> buildFailures() {
        Map<String, String> failed = new LinkedHashMap<>();
        built.forEach((name, p) -> {
            if (p.failure() != null) failed.put(name, p.failure());
        });
        return failed;
    }

    public Supervisor supervisor(Micro m) {
        return supervisors.get(m.name());
    }

    public List<Supervisor> supervisors() {
        return List.copyOf(supervisors.values());
    }

    /**
     * Variables every micro and build gets on top of Space's (the data hosts and the CA bundle),
     * asked of the data server once: by the first build step that runs, else once the runtime is made.
     */
    public synchronized Map<String, String> dataEnvNow() {
        if (dataEnvSet) return dataEnv;
        dataEnv = Map.copyOf(dataSource.apply(runDir.resolve("ca-bundle.pem")));
        dataEnvSet = true;
        return dataEnv;
    }

    /**
     * PATH for the micro and its build: without the folders its uid cannot enter (worked out once
     * per uid and gid: tens of stat calls); what it leaves out is said once.
     */
    private String searchPath(String micro) {
        int[] ids = sandbox.ids(micro);
        String path = shell.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        if (ids == null) return path;
        String note = null;
        BuildStep.SearchPath p;
        synchronized (searchPaths) {
            p = searchPaths.get(ids[0] + ":" + ids[1]);
            if (p == null) {
                p = BuildStep.searchPath(path, ids, micro);
                searchPaths.put(ids[0] + ":" + ids[1], p);
                if (p.note() != null && pathNotes.add(p.value())) note = p.note(); // the same folders left out for another uid: said already
            }
        }
        if (note != null) log.event(note);
        return p.value();
    }

    /** One line for the start-up output: as whom and how builds run. */
    public String buildsSummary() {
        if (cfg.dev()) return "builds: none (--dev): micros run in their own folders; npm installs there, Python micros get .micros/build/<micro>/venv";
        String user = System.getProperty("user.name", "this user");
        String contained = ", with the network, under its memory and process limits, in a root of their own: the system, the build's tools,"
                + " the micro's build folder; nothing else of the machine";
        if (sandbox.mode() == Sandbox.Mode.ROOT) return "builds: in each micro's stage (.micros/build/<micro>/app), as the micro's own uid" + contained;
        if (sandbox.mode() == Sandbox.Mode.USERNS)
            return "builds: in each micro's stage (.micros/build/<micro>/app), as " + user + ", the user micros runs as (not root: builds cannot change user),"
                    + " without privileges in a user namespace" + contained;
        return "builds: in each micro's stage (.micros/build/<micro>/app), as " + user + ", the user micros runs as (" + sandbox.reason() + ")"
                + ": install scripts can read and write what " + user + " can";
    }

    /** The run's temporary folder, readable by sandboxed micros. */
    public Path runFolder() {
        return runDir;
    }

    /** The gateway's host:port, as DETA_SPACE_APP_HOSTNAME; set once it listens. */
    public void hostname(String hostPort) {
        this.hostname = hostPort;
    }

    /** The micro's src folder in the owner's project (never written outside --dev). */
    public Path srcDir(Micro m) {
        return app.root().resolve(Builder.relative(m.src())).normalize();
    }

    /** Where the micro runs, or is served from: its built stage; its src folder with --dev. */
    public Path codeDir(Micro m) {
        Prepared p = built.get(m.name());
        return p != null && p.code() != null ? p.code() : srcDir(m);
    }

    /** The folder the micro's code may link within: its stage; the project folder with --dev. */
    public Path codeRoot(Micro m) {
        Path code = codeDir(m);
        return code.equals(srcDir(m)) ? app.root() : code;
    }

    private Process spawn(Micro m, Engines.Command c, int port, MicroGroup group, int slot) throws IOException {
        extractLaunchers();
        Path own = runDir.resolve(m.name()).resolve(Integer.toString(slot + 1)); // without the sandbox: each instance's own folders
        Path home = own.resolve("home"), tmp = own.resolve("tmp");
        if (!sandbox.on()) {
            Files.createDirectories(home);
            Files.createDirectories(tmp);
        }
        if (sandbox.on()) home = tmp = Path.of("/tmp"); // the micro's private /tmp
        Map<String, String> env = MicroEnvironment.build(m, cfg.dev(), cfg.env(), shell,
                new MicroEnvironment.Shared(projectKey, apiKey, hostname, cfg.appVersion()), port, home, tmp, c.env());
        if (!cfg.dev()) env.put("PATH", searchPath(m.name()));
        Path venvBin = built.get(m.name()).pathFirst();
        if (venvBin != null) { // as `source venv/bin/activate` would: its python, pip, uvicorn, gunicorn first
            env.put("PATH", venvBin + File.pathSeparator + env.getOrDefault("PATH", "/usr/bin:/bin"));
            env.put("VIRTUAL_ENV", venvBin.getParent().toString());
        }
        dataEnvNow().forEach((k, v) -> { if (!cfg.env().containsKey(k)) env.put(k, v); }); // a value given with --env wins
        if (app.classic() != null) micros.classic.DetaLibrary.environment(env, app.classic(), m.name());
        List<String> argv = new ArrayList<>();
        if (HAS_SETSID) argv.add("setsid"); // its own session: Ctrl-C reaches micros only through us
        argv.addAll(group.wrap(sandbox.wrap(c.argv(), codeDir(m), runDir, state.path(), m.name(), hidden, programs(m, c, env.get("PATH"), built.getOrDefault(m.name(), Prepared.NOTHING).madeFrom()))));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(codeDir(m).toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        state.recordProcess(p.pid()); // so a run that gets killed can be cleaned up after
        p.onExit().thenRun(() -> state.forgetProcess(p.pid()));
        return p;
    }

    /** What the micro runs, as its PATH picks it: its command, its engine's interpreter and the runtimes its plan needs. */
    private static List<Path> programs(Micro m, Engines.Command c, String path, Path madeFrom) {
        List<String> runtimes = new ArrayList<>(c.runtimes());
        if (m.engine().python()) runtimes.add("python3");
        if (m.engine() == micros.spacefile.Engine.NODEJS16 || m.engine().npmFramework()) runtimes.add("node");
        List<Path> out = new ArrayList<>(Sandbox.programs(c.argv(), runtimes, path));
        if (madeFrom != null) out.add(madeFrom); // what its virtualenv's python links to (the root never follows the virtualenv's links)
        return out;
    }

    /** Puts awake micros to sleep after --idle without requests, watches the limits' counters, keeps the heap small. */
    public void startSweeper() {
        long period = cfg.idle().isZero() ? 250 : Math.max(50, Math.min(250, cfg.idle().toMillis() / 5));
        sweeper = new Thread(() -> {
            long started = System.nanoTime(), lastTrim = 0, liveAfterTrim = 0;
            boolean trimmed = false;
            while (!closed) {
                try {
                    Thread.sleep(period);
                } catch (InterruptedException e) {
                    return;
                }
                for (Supervisor s : supervisors.values()) {
                    s.sleepIfIdle(cfg.idle());
                    s.watchLimits(cfg.limits().pids());
                }
                metrics.sampleIfDue(supervisors);
                long now = System.nanoTime();
                // again only when the heap grew well past what was live at the last trim: a big live set
                // (a Base's index of millions of keys) is not collected in full every 10 s for nothing
                long committed = Runtime.getRuntime().totalMemory();
                if (!trimmed && now - started > 2_000_000_000L
                        || now - lastTrim > 10_000_000_000L && committed > Math.max(TRIM_ABOVE, 2 * liveAfterTrim)) {
                    trimHeap();
                    trimmed = true;
                    lastTrim = now;
                    liveAfterTrim = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                }
            }
        }, "micros-sweeper");
        sweeper.setDaemon(true);
        sweeper.start();
    }

    /**
     * Users run plain `java -jar`: G1 then commits 1/64 of the machine's memory for the heap and,
     * under load, grows the young generation inside it (300+ MB of RSS for a ~10 MB live set).
     * A full collection shrinks the committed heap to what is live, and G1 keeps it small after.
     * Measured: 308 MB -> about 120 MB RSS under a 64-connection load, throughput unchanged.
     */
    private static void trimHeap() {
        System.gc();
    }

    /** Stops every micro (SIGTERM, then SIGKILL after 5 s), all at once; no micro starts afterwards. */
    public void shutdown() {
        if (closed) return;
        closed = true;
        if (sweeper != null) sweeper.interrupt();
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (Supervisor s : supervisors.values())
            stops.add(CompletableFuture.runAsync(() -> s.retire("micros is shutting down", STOP_GRACE)));
        stops.forEach(CompletableFuture::join);
        freezer.shutdownNow();
        limiter.close();
        sandbox.close();
        deleteRunDir();
    }

    /** The run's private temporary folder (Files.createTempDirectory would set up SecureRandom: slow at start). */
    private Path runDir() throws IOException {
        run = RunDir.create(Path.of(System.getProperty("java.io.tmpdir")));
        return run.path();
    }

    /** The legacy launchers come out of the jar when a micro first needs one. */
    private synchronized void extractLaunchers() throws IOException {
        for (String launcher : new String[] {"python_launcher.py", "node_launcher.js"}) {
            Path target = runDir.resolve(launcher);
            if (Files.exists(target)) continue;
            try (InputStream in = AppRuntime.class.getResourceAsStream(launcher)) {
                if (in == null) throw new IOException("the jar lacks " + launcher);
                Files.copy(in, target);
            }
            Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
        micros.classic.DetaLibrary.extract(runDir); // the deta library Deta Cloud pre-installed, for the launchers
    }

    private void deleteRunDir() {
        if (run != null) run.close();
    }

    /** The executable's path when it is on PATH, else null. */
    public static Path onPath(String name) {
        return micros.util.Programs.onPath(name);
    }

    private static String install(String runtime) {
        return switch (runtime) {
            case "node", "npm" -> "install Node.js (and npm), or set 'run:' for the micro";
            case "python3" -> "install Python 3, or set 'run:' for the micro";
            default -> "install it";
        };
    }
}
