package micros.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import micros.Emulator;
import micros.runtime.Engines;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.SpacefileReader;
import micros.util.Units;

/** {@code micros [run] [PATH] [options]}: brings the app up behind one port until Ctrl-C or SIGTERM. */
public final class RunCommand {
    private RunCommand() {}

    public static int run(List<String> args, PrintStream out) throws InterruptedException {
        Options o = Options.parse("run", args, RunOptions.flags(), RunOptions.valued());
        Path file = SpacefileReader.locate(o.positional(1, "one Spacefile path"));
        RunConfig cfg = RunOptions.config(o, file, 4200);
        Log log = new Log(out, cfg.logFormat(), Log.colorWanted());
        App app = RunOptions.load(file, out);
        log.names(app.micros().stream().map(Micro::name).toList());
        RunOptions.warnUndeclared(app, cfg, log);
        RunOptions.warnUnset(app, cfg, log);
        Emulator emulator = StopOnSignal.start(() -> Emulator.start(app, cfg, log),
                () -> log.event("stopping: sending SIGTERM to all micros"), e -> log.event("stopped"));
        App started = app;
        Thread sizes = new Thread(() -> { // measuring node_modules can take a moment: not on the start-up path
            for (var p : micros.spacefile.PackageSize.check(started, micros.spacefile.Problem.Severity.WARNING, positions(file)))
                log.event(p.toString() + " (micros runs it anyway)");
        }, "micros-package-size");
        sizes.setDaemon(true);
        banner(emulator, cfg, RunOptions.sources(o, System.getenv()), log);
        sizes.start();
        new CountDownLatch(1).await(); // until a signal ends the JVM through the hook
        return 0;
    }

    static java.util.Map<String, int[]> positions(Path file) {
        return SpacefileReader.read(file).positions();
    }

    /**
     * How to get in: the owner's login link, the API keys, or that everything is public. A secret is
     * printed only when micros made it up for this run and the log is text, for the person starting
     * it; one the user gave (option, file, environment) is named by where it is, never shown, and a
     * JSON log (kept, shipped to log stores) shows none: the random owner token is in run.properties.
     */
    static void access(Emulator e, RunConfig cfg, RunOptions.SecretSources given, Log log) {
        if (cfg.isPublic()) {
            log.plain("authentication: off (--public): every route is public");
            log.plain("dashboard: " + e.url() + "/__micros/");
            return;
        }
        boolean shown = cfg.logFormat() == Log.Format.TEXT;
        String runFile = e.stateDir().resolve("run.properties").toString();
        if (given.ownerToken() == null && shown) {
            log.plain("log in: " + e.loginUrl());
            log.plain("dashboard: " + e.url() + "/__micros/?space_token=" + cfg.ownerToken());
        } else {
            String where = given.ownerToken() != null ? given.ownerToken()
                    : "owner_token in " + runFile + " (readable by you only, while micros runs; random for this run)";
            log.plain("log in: " + e.url() + "/?space_token=TOKEN (TOKEN: " + where + ")");
            log.plain("dashboard: " + e.url() + "/__micros/ (once logged in)");
        }
        boolean classicKeys = e.app().classic() != null && e.app().primary().apiKeys();
        if (classicKeys || e.app().micros().stream().anyMatch(Micro::apiKeys)) {
            String keys = cfg.apiKeys().size() > 1 ? "API keys" : "API key";
            String what = given.apiKeys() != null ? given.apiKeys()
                    : shown ? String.join(", ", cfg.apiKeys())
                    : "random for this run and shown only in a text log; give your own with --api-key-file F or " + RunOptions.KEYS_ENV;
            log.plain(keys + (classicKeys ? " (X-API-Key, as `deta auth create-api-key` made them): " : " (X-Space-App-Key, for micros with the api_keys preset): ") + what);
        }
    }

    static void actions(Emulator e, Log log) {
        for (var entry : e.scheduler().entries())
            log.plain("action " + entry.action.id() + " (micro " + entry.micro.name() + "): " + describe(entry.action.schedule()) + "; next run "
                    + java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(java.time.ZoneOffset.UTC).format(entry.next()) + " UTC");
    }

    private static String describe(micros.spacefile.Schedule s) {
        return s instanceof micros.spacefile.Schedule.Rate ? "every " + s : "cron " + s;
    }

    /** The limits line, what is not enforced and why, and stale groups a killed run left. */
    static void limits(Emulator e, Log log) {
        var limiter = e.runtime().limiter();
        log.plain(limiter.summary());
        limiter.unenforced().forEach(log::plain);
        log.plain(e.runtime().sandbox().summary());
        log.plain(e.runtime().buildsSummary());
        String freezing = e.runtime().limiter().freezing();
        log.plain(!e.config().freeze() ? "freezing: off: micros keep running between requests" + (e.config().dev() ? " (--dev)" : " (--no-freeze)")
                : freezing != null ? "freezing: micros are frozen between requests, as on Space (" + freezing + ")"
                : "freezing: not available here (it needs cgroups): micros keep running between requests");
        for (String stale : limiter.cleaned()) log.event("removed the cgroups of a run that did not stop cleanly: " + stale);
    }

    /** Where the app's data is, and how a browser comes to trust micros' HTTPS. */
    static void data(Emulator e, Log log) {
        if (e.data() == null) return;
        log.plain("  data: Deta Base and Drive at https://" + e.data().hostPort() + " (DETA_BASE_HOST, DETA_DRIVE_HOST), stored in "
                + e.data().dataDir() + "; `" + micros.util.Programs.INVOCATION + " data env` prints them for other programs");
        log.plain("  https: " + e.httpsUrl() + " answers too; to trust it in a browser, import " + e.data().ca().caCert()
                + " as a certificate authority (Chrome: Settings > Privacy and security > Security > Manage certificates > Authorities;"
                + " Firefox: Settings > Privacy & Security > Certificates > View Certificates > Authorities > Import)");
    }

    static void banner(Emulator e, RunConfig cfg, RunOptions.SecretSources given, Log log) {
        App app = e.app();
        log.plain("micros " + micros.util.Programs.VERSION + ": " + app.displayName() + " is listening on " + e.url() + (cfg.dev() ? " (dev mode)" : ""));
        if (app.classic() != null) log.plain("  " + micros.classic.ClassicBanner.describe(app));
        int width = app.micros().stream().mapToInt(m -> m.name().length()).max().orElse(4);
        int pathWidth = app.micros().stream().mapToInt(m -> (m.prefix().isEmpty() ? "/" : m.prefix()).length()).max().orElse(1);
        int engineWidth = app.micros().stream().mapToInt(m -> m.engine().id().length()).max().orElse(6);
        for (Micro m : app.micros()) {
            Engines.Start plan = e.runtime().plan(m);
            String path = m.prefix().isEmpty() ? "/" : m.prefix();
            log.plain("  " + Units.padRight(m.name(), width) + "  " + Units.padRight(path, pathWidth) + "  " + Units.padRight(m.engine().toString(), engineWidth) + "  " + plan.describe());
        }
        limits(e, log);
        data(e, log);
        access(e, cfg, given, log);
        actions(e, log);
        log.plain("Press Ctrl-C to stop.");
    }
}
