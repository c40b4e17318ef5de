package micros.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import micros.Emulator;
import micros.data.DataServer;

import micros.runtime.Log;
import micros.runtime.Remote;
import micros.runtime.RunConfig;
import micros.runtime.StateDir;
import micros.sandbox.Limiter;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/**
 * {@code micros gateway [PATH] --micro NAME=URL ...}: the same gateway as {@code run} (auth,
 * routing, whole requests, limits on requests, actions, dashboard), forwarding to micros that
 * run elsewhere (a Knative service, another machine) instead of starting them. Static micros
 * are still served from their folder.
 */
public final class GatewayCommand {
    static final List<String> FLAGS = List.of("--public");
    static final List<String> VALUED = List.of("--micro", "--port", "--host", "--log-format", "--app-version", "--timeout", "--read-timeout",
            "--payload", "--owner-token", "--api-key", "--owner-token-file", "--api-key-file",
            "--data-host", "--data-port", "--data-name");
    /** The project key remote micros were given (the export's Secret gives the gateway the same one). */
    static final String PROJECT_KEY_ENV = "MICROS_PROJECT_KEY";
    /** The key the gateway sends every micro (Remote.KEY_HEADER); the exported micros' guard lets in nothing else. */
    static final String GATEWAY_KEY_ENV = "MICROS_GATEWAY_KEY";

    private GatewayCommand() {}

    public static int run(List<String> args, PrintStream out) throws InterruptedException {
        Options o = Options.parse("gateway", args, FLAGS, VALUED);
        Path file = SpacefileReader.locate(o.positional(1, "one Spacefile path"));
        RunConfig cfg = RunOptions.config(o, file, 4200);
        Log log = new Log(out, cfg.logFormat(), Log.colorWanted());
        App app = RunOptions.load(file, out);
        Map<String, Remote> remotes = withKey(remotes(app, o.all("--micro")), System.getenv(GATEWAY_KEY_ENV), log);
        DataServer.Listen data = dataListen(o);
        String key = System.getenv(PROJECT_KEY_ENV);
        if (key != null && !key.isBlank()) {
            if (!StateDir.isProjectKey(key.strip()))
                throw UserError.config(PROJECT_KEY_ENV + " is not a project key: use 8 lowercase letters or digits, '_', then 32 letters or digits"
                        + " (the DETA_PROJECT_KEY the remote micros get)");
            log.secret(key.strip());
            StateDir.of(app.root()).create().adoptProjectKey(key.strip());
        }
        log.names(app.micros().stream().map(Micro::name).toList());
        Emulator emulator = StopOnSignal.start(() -> Emulator.start(app, cfg, log, Limiter.platform(cfg.limits()), remotes, data),
                () -> { }, e -> log.event("stopped"));
        banner(emulator, cfg, RunOptions.sources(o, System.getenv()), remotes, log);
        new CountDownLatch(1).await(); // until a signal ends the JVM through the hook
        return 0;
    }

    /** The --micro NAME=URL values: one for every process micro, none for another name. */
    public static Map<String, Remote> remotes(App app, List<String> values) {
        Map<String, Remote> remotes = new LinkedHashMap<>();
        List<String> names = app.micros().stream().map(Micro::name).toList();
        for (String v : values) {
            int eq = v.indexOf('=');
            if (eq <= 0) throw UserError.config("--micro " + v + ": write NAME=URL, for example --micro api=http://api.default.svc.cluster.local");
            String name = v.substring(0, eq);
            if (!names.contains(name)) throw UserError.config("--micro " + v + ": the Spacefile has no micro '" + name + "' (its micros: " + String.join(", ", names) + ")");
            Micro m = app.micros().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            if (m.engine().staticLike())
                throw UserError.config("--micro " + v + ": '" + name + "' is a " + m.engine() + " micro: the gateway serves its files itself");
            if (remotes.put(name, Remote.parse(name, v.substring(eq + 1))) != null) throw UserError.config("--micro " + name + " is given twice");
        }
        List<String> missing = new ArrayList<>();
        for (Micro m : app.micros()) if (!m.engine().staticLike() && !remotes.containsKey(m.name())) missing.add(m.name());
        if (!missing.isEmpty())
            throw UserError.config("no --micro NAME=URL for " + String.join(", ", missing) + ": every process micro needs the URL it runs at");
        return remotes;
    }

    /** Every remote with the gateway's key, when MICROS_GATEWAY_KEY is set (never printed: the log hides it). */
    static Map<String, Remote> withKey(Map<String, Remote> remotes, String key, Log log) {
        if (key == null || key.isBlank()) return remotes;
        if (!Remote.validKey(key.strip()))
            throw UserError.config(GATEWAY_KEY_ENV + " must be 16 to 256 printable ASCII characters without spaces (the micros' guard checks"
                    + " the same): make one with  head -c 32 /dev/urandom | base64 | tr -d '+/='");
        log.secret(key.strip());
        Map<String, Remote> keyed = new LinkedHashMap<>();
        remotes.forEach((name, r) -> keyed.put(name, r.withKey(key.strip())));
        return keyed;
    }

    /** --data-host, --data-port and --data-name: where Base and Drive listen, and the name remote micros use. */
    static DataServer.Listen dataListen(Options o) {
        String host = o.value("--data-host", "127.0.0.1").strip();
        if (host.isEmpty()) throw UserError.config("--data-host: give an address to bind, for example 0.0.0.0");
        String portText = o.value("--data-port", "0");
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) throw UserError.config("--data-port " + portText + ": use a number from 0 to 65535 (0 picks a free port)");
        String name = o.value("--data-name", null);
        if (name != null && !name.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*"))
            throw UserError.config("--data-name " + name + ": give the DNS name or IP address remote micros reach the gateway by, for example gateway.default.svc.cluster.local");
        return new DataServer.Listen(host, port, name);
    }

    static void banner(Emulator e, RunConfig cfg, RunOptions.SecretSources given, Map<String, Remote> remotes, Log log) {
        App app = e.app();
        log.plain("micros " + micros.util.Programs.VERSION + " gateway: " + app.displayName() + " is listening on " + e.url());
        int width = app.micros().stream().mapToInt(m -> m.name().length()).max().orElse(4);
        for (Micro m : app.micros()) {
            Remote r = remotes.get(m.name());
            String path = m.prefix().isEmpty() ? "/" : m.prefix();
            log.plain(String.format("  %-" + width + "s  %s -> %s", m.name(), path, r != null ? r.url() : e.runtime().plan(m).describe()));
        }
        log.plain(e.runtime().limiter().summary());
        log.plain(e.runtime().sandbox().summary());
        log.plain("freezing: " + Limiter.PLATFORM + " (Knative scales an idle micro to zero instead)");
        boolean keyed = remotes.values().stream().anyMatch(r -> r.gatewayKey() != null);
        log.plain(keyed ? "  door: every request to a micro carries " + Remote.KEY_HEADER + " (" + GATEWAY_KEY_ENV + "); an exported micro's guard answers 403 to any other"
                : "  door: " + GATEWAY_KEY_ENV + " is not set: whoever reaches a micro's URL reaches the micro without the gateway");
        data(e, log);
        RunCommand.access(e, cfg, given, log);
        RunCommand.actions(e, log);
        log.plain("Press Ctrl-C to stop.");
    }

    /** Where remote micros find Base and Drive, and what they must trust and be given. */
    static void data(Emulator e, Log log) {
        DataServer d = e.data();
        log.plain("  data: Deta Base and Drive listen on " + d.bound() + ", stored in " + d.dataDir() + "; remote micros get DETA_BASE_HOST="
                + d.hostPort() + " and DETA_DRIVE_HOST=" + d.hostPort() + ", DETA_PROJECT_KEY (`" + micros.util.Programs.INVOCATION + " data env` prints it; "
                + PROJECT_KEY_ENV + " sets it), and trust the CA in " + d.ca().caCert() + " (" + String.join(", ", DataServer.CA_VARIABLES) + ")");
    }
}
