package micros.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import micros.Emulator;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/**
 * {@code micros exec [PATH] [run options] -- COMMAND [ARGS...]}: the app for the length of one
 * command, as {@code firebase emulators:exec}: starts it, runs COMMAND with the app's URL, the
 * owner's token, the API key and the app's data variables, stops it, and ends with COMMAND's
 * status. micros' own lines go to stderr; COMMAND's output is its own.
 */
public final class ExecCommand {
    /** What COMMAND is given on top of micros' environment. */
    static final String URL_ENV = "MICROS_URL", KEY_ENV = "MICROS_API_KEY";
    /** Exit status when COMMAND cannot be run at all, as shells answer a command that is not found. */
    static final int NOT_RUN = 127;

    private ExecCommand() {}

    public static int run(List<String> args, PrintStream err) throws InterruptedException {
        int dash = args.indexOf("--");
        if (dash < 0) throw Options.usage("exec", "give the command to run after --, for example: exec -- npm test");
        List<String> command = List.copyOf(args.subList(dash + 1, args.size()));
        if (command.isEmpty()) throw Options.usage("exec", "nothing after --: give the command to run, for example: exec -- npm test");
        Options o = Options.parse("exec", args.subList(0, dash), RunOptions.flags(), RunOptions.valued());
        Path file = SpacefileReader.locate(o.positional(1, "one Spacefile path"));
        RunConfig cfg;
        App app;
        try {
            cfg = RunOptions.config(o, file, 0);
            app = RunOptions.load(file, err);
        } catch (UserError ex) { // a port in use too: whatever keeps the app from starting is exit 2, so COMMAND's own 1 stays its own
            throw UserError.config("the app did not start, so the command was not run: " + ex.getMessage());
        }
        Log log = new Log(err, cfg.logFormat(), Log.colorWanted());
        log.names(app.micros().stream().map(Micro::name).toList());
        RunOptions.warnUndeclared(app, cfg, log);
        RunOptions.warnUnset(app, cfg, log);
        Emulator e = start(app, cfg, log);
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
            environment(e, cfg, o, pb.environment());
            p = pb.start();
        } catch (IOException | RuntimeException ex) {
            e.close();
            err.println("micros: cannot run " + command.get(0) + ": " + RunOptions.why(ex) + " (exit " + NOT_RUN + ")");
            return NOT_RUN;
        }
        Thread stop = new Thread(() -> { // SIGTERM or Ctrl-C: the command first, then the app
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            e.close();
        }, "micros-exec-stop");
        Runtime.getRuntime().addShutdownHook(stop);
        int code = p.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(stop);
        } catch (IllegalStateException stopping) {
            return code; // the hook is stopping everything now
        }
        log.event(command.get(0) + " exited with code " + code + "; stopping the app");
        e.close();
        return code;
    }

    /** The app, started and listening; any failure to get there (or a micro that could not be built) is exit 2, with the reason. */
    private static Emulator start(App app, RunConfig cfg, Log log) {
        Emulator e;
        try {
            e = StopOnSignal.start(() -> Emulator.start(app, cfg, log), () -> { }, stopped -> { });
        } catch (UserError ex) {
            throw UserError.config("the app did not start, so the command was not run: " + ex.getMessage());
        }
        Map<String, String> notBuilt = e.runtime().buildFailures();
        if (!notBuilt.isEmpty()) {
            e.close();
            throw UserError.config("the app did not start, so the command was not run: " + String.join("; ", notBuilt.values()));
        }
        log.event(app.displayName() + " is listening on " + e.url() + "; running the command");
        return e;
    }

    /** micros' environment, and the app: its URL, the owner's token, the API key (for api_keys micros, or given), and `data env`'s variables. */
    private static void environment(Emulator e, RunConfig cfg, Options o, Map<String, String> env) {
        env.put(URL_ENV, e.url());
        env.put(RunOptions.OWNER_ENV, cfg.ownerToken());
        boolean keys = e.app().micros().stream().anyMatch(Micro::apiKeys) || !o.all("--api-key").isEmpty() || !o.all("--api-key-file").isEmpty()
                || System.getenv(RunOptions.KEYS_ENV) != null;
        if (keys) env.put(KEY_ENV, cfg.apiKeys().get(0));
        else env.remove(KEY_ENV);
        env.putAll(e.clientEnv());
    }
}
