package micros;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

import java.time.Clock;

import micros.actions.Scheduler;
import micros.actions.SelfClient;
import micros.data.DataServer;
import micros.data.tls.LocalCa;
import micros.gateway.Gateway;
import micros.runtime.AppRuntime;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.runtime.StateDir;
import micros.sandbox.Limiter;
import micros.sandbox.Sandbox;
import micros.spacefile.App;

/** A running app: its runtime (the micros) behind its gateway (the port), and the run's state file. */
public final class Emulator implements AutoCloseable {
    private final App app;
    private final RunConfig cfg;
    private final AppRuntime runtime;
    private final Gateway gateway;
    private final StateDir state;
    private final Log log;
    private volatile boolean closed;
    private Scheduler scheduler;
    private DataServer data;
    private String projectKey;

    private Emulator(App app, RunConfig cfg, AppRuntime runtime, Gateway gateway, StateDir state, Log log) {
        this.app = app;
        this.cfg = cfg;
        this.runtime = runtime;
        this.gateway = gateway;
        this.state = state;
        this.log = log;
    }

    public static Emulator start(App app, RunConfig cfg, Log log) {
        return start(app, cfg, log, Limiter.detect(cfg.limits(), System.getenv(), w -> { }));
    }

    /** Starts with a given limiter (tests point one at a fake cgroup tree). */
    public static Emulator start(App app, RunConfig cfg, Log log, Limiter limiter) {
        return start(app, cfg, log, limiter, Map.of());
    }

    /**
     * {@code micros gateway}: the process micros named in {@code remotes} run elsewhere and are only
     * forwarded to; their platform limits and sandboxes them (pass {@link Limiter#platform}).
     */
    public static Emulator start(App app, RunConfig cfg, Log log, Limiter limiter, Map<String, micros.runtime.Remote> remotes) {
        return start(app, cfg, log, limiter, remotes, DataServer.Listen.LOOPBACK);
    }

    /** As above, Base and Drive listening where {@code dataListen} says (remote micros reach them there). */
    public static Emulator start(App app, RunConfig cfg, Log log, Limiter limiter, Map<String, micros.runtime.Remote> remotes, DataServer.Listen dataListen) {
        StateDir state;
        String cleaned;
        try {
            state = StateDir.of(app.root()).create();
            cleaned = state.cleanStale(!limiter.cleaned().isEmpty());
        } catch (RuntimeException e) {
            limiter.close();
            throw e;
        }
        if (cleaned != null) log.event(cleaned);
        log.secret(cfg.ownerToken()); // before any micro or build can print one
        micros.runtime.MicroLogs lines = new micros.runtime.MicroLogs(app); // the dashboard's log panels, the build's lines included
        log.listen(lines::add);
        cfg.apiKeys().forEach(log::secret);
        // the data server starts beside the sandbox probe and the build step (it waits on its disk and the CA, they on processes)
        String projectKey = state.projectKey(); // made here, once: the data server's thread and the runtime both read it
        java.util.concurrent.CompletableFuture<DataServer> dataStart = new java.util.concurrent.CompletableFuture<>();
        Thread starter = new Thread(() -> {
            try {
                dataStart.complete(DataServer.start(state.path().resolve("data"), projectKey, LocalCa.atDefaultOr(state.path().resolve("ca")), cfg.host(), dataListen, log::event));
            } catch (RuntimeException | Error ex) {
                dataStart.completeExceptionally(ex);
            }
        }, "micros-data-start");
        starter.setDaemon(true);
        starter.start();
        AppRuntime runtime;
        try {
            Sandbox sandbox = limiter.byPlatform() ? Sandbox.off(Limiter.PLATFORM)
                    : cfg.dev() && !cfg.sandbox().enabled() ? Sandbox.off("--dev: micros run as space dev ran them")
                    : Sandbox.detect(cfg.sandbox().enabled(), cfg.sandbox().tmpSize(), cfg.sandbox().user());
            // a build step that runs asks for the data hosts and CA variables, and so waits for the data server
            runtime = new AppRuntime(app, cfg, log, state, limiter, sandbox, remotes, bundle -> started(dataStart).env(bundle));
        } catch (RuntimeException ex) {
            dataStart.thenAccept(DataServer::close);
            throw ex;
        }
        Gateway gateway;
        DataServer data = null;
        try {
            data = started(dataStart);
            runtime.dataEnvNow(); // written once: here, unless a build step asked first
            for (String w : data.base().recoveryWarnings()) log.event("data: " + w);
            gateway = Gateway.start(runtime, cfg, log, data, lines);
        } catch (RuntimeException e) {
            if (data != null) data.close();
            runtime.shutdown();
            throw e;
        }
        Emulator e = new Emulator(app, cfg, runtime, gateway, state, log);
        e.data = data;
        e.projectKey = projectKey;
        runtime.hostname(e.hostPort());
        runtime.startSweeper();
        SelfClient self = new SelfClient("http://" + e.hostPort(), cfg.ownerToken(), cfg.limits().timeout());
        e.scheduler = new Scheduler(app, Clock.systemUTC(), log, self);
        gateway.connect(e.scheduler, self);
        e.scheduler.start();
        Map<String, String> run = new HashMap<>();
        run.put("pid", Long.toString(micros.util.Pids.self()));
        run.put("url", e.url());
        run.put("port", Integer.toString(e.port()));
        run.put("host", cfg.host());
        run.put("owner_token", cfg.ownerToken());
        run.put("data_host", data.hostPort());
        run.put("ca_bundle", runtime.runFolder().resolve("ca-bundle.pem").toString());
        state.writeRun(run);
        return e;
    }

    /** The data server, or its start's own exception. */
    private static DataServer started(java.util.concurrent.CompletableFuture<DataServer> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException ex) {
            if (ex.getCause() instanceof RuntimeException r) throw r;
            if (ex.getCause() instanceof Error err) throw err;
            throw ex;
        }
    }

    public int port() {
        return gateway.port();
    }

    /** host:port as a browser would use it (a wildcard bind address shows as localhost). */
    public String hostPort() {
        String host = cfg.host();
        try {
            if (InetAddress.getByName(host).isAnyLocalAddress()) host = "localhost";
        } catch (UnknownHostException ignored) {
            // keep it as given
        }
        if (host.contains(":") && !host.startsWith("[")) host = "[" + host + "]";
        return host + ":" + port();
    }

    public String url() {
        return "http://" + hostPort();
    }

    public App app() {
        return app;
    }

    public AppRuntime runtime() {
        return runtime;
    }

    public Log log() {
        return log;
    }

    /** The app's Deta Base and Drive. */
    public DataServer data() {
        return data;
    }

    /** The gateway's HTTPS URL (same port). */
    public String httpsUrl() {
        return "https://" + hostPort();
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public RunConfig config() {
        return cfg;
    }

    /** The project's state folder (run.properties, the project key, the data). */
    public java.nio.file.Path stateDir() {
        return state.path();
    }

    /**
     * What a program outside the micros needs to reach the app's Base and Drive, as `data env`
     * prints it: the project key, the data hosts, and the CA bundle (SSL_CERT_FILE and the like).
     */
    public Map<String, String> clientEnv() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("DETA_PROJECT_KEY", projectKey);
        env.put("DETA_BASE_HOST", data.hostPort());
        env.put("DETA_DRIVE_HOST", data.hostPort());
        for (String v : DataServer.CA_VARIABLES) env.put(v, runtime.runFolder().resolve("ca-bundle.pem").toString());
        return env;
    }

    /** The URL that logs the owner in. */
    public String loginUrl() {
        return url() + "/?space_token=" + cfg.ownerToken();
    }

    /** Stops accepting requests, then stops every micro; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (scheduler != null) scheduler.stop();
        gateway.stop();
        runtime.shutdown();
        if (data != null) data.close();
        state.clearRun(micros.util.Pids.self());
    }
}
