package micros;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

import micros.gateway.Gateway;
import micros.runtime.AppRuntime;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.runtime.StateDir;
import micros.sandbox.Limiter;
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
        StateDir state;
        try {
            state = StateDir.of(app.root()).create();
        } catch (RuntimeException e) {
            limiter.close();
            throw e;
        }
        AppRuntime runtime = new AppRuntime(app, cfg, log, state, limiter);
        Gateway gateway;
        try {
            gateway = Gateway.start(runtime, cfg, log);
        } catch (RuntimeException e) {
            runtime.shutdown();
            throw e;
        }
        Emulator e = new Emulator(app, cfg, runtime, gateway, state, log);
        runtime.hostname(e.hostPort());
        runtime.startSweeper();
        Map<String, String> run = new HashMap<>();
        run.put("pid", Long.toString(ProcessHandle.current().pid()));
        run.put("url", e.url());
        run.put("port", Integer.toString(e.port()));
        run.put("host", cfg.host());
        state.writeRun(run);
        return e;
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

    /** Stops accepting requests, then stops every micro; idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        gateway.stop();
        runtime.shutdown();
        state.clearRun(ProcessHandle.current().pid());
    }
}
