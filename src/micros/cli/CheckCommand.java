package micros.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import micros.Emulator;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.runtime.Supervisor;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.Problem;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/**
 * {@code micros check}: the CI smoke test. Starts the app on a free port, sends a request to
 * each micro (or the --expect requests), prints a table, stops everything; exit 0 when all
 * passed, 1 when a check failed, 2 for a configuration problem. Whatever stops it after the
 * options are read (the Spacefile, a build, the start) is a failed check in every report.
 */
public final class CheckCommand {
    private CheckCommand() {}

    /**
     * One request to make and what counts as passing: an exact status, a class ("2xx"), or a
     * status below {@code below} (the default checks: 400 for the primary and static micros,
     * whose 404 at their root is a broken app; 500 for other process micros).
     */
    record Expectation(String method, String path, String status, int below) {
        static Expectation parse(String text) {
            String[] f = text.strip().split("\\s+");
            if (f.length == 0 || f.length > 3 || f[0].isEmpty())
                throw UserError.config("--expect \"" + text + "\": write \"[METHOD] PATH [STATUS]\", for example \"GET /api/health 200\"");
            int i = 0;
            String method = f[0].startsWith("/") ? "GET" : f[i++].toUpperCase(Locale.ROOT);
            if (i >= f.length || !f[i].startsWith("/")) throw UserError.config("--expect \"" + text + "\": the path must start with /");
            String path = f[i++];
            String status = i < f.length ? f[i].toLowerCase(Locale.ROOT) : null;
            if (status != null && !status.matches("[1-5]([0-9]{2}|xx)"))
                throw UserError.config("--expect \"" + text + "\": '" + f[i] + "' is not a status (use 200 or 2xx)");
            return new Expectation(method, path, status, 500);
        }

        /** The default check of a micro: GET at its path. */
        static Expectation of(Micro m, boolean served) {
            return new Expectation("GET", m.prefix().isEmpty() ? "/" : m.prefix(), null, m.primary() || served ? 400 : 500);
        }

        boolean passes(int code) {
            if (status == null) return code < below;
            if (status.endsWith("xx")) return code / 100 == status.charAt(0) - '0';
            return code == Integer.parseInt(status);
        }

        String expected() {
            return status != null ? status : "below " + below;
        }
    }

    public static int run(List<String> args, PrintStream out) throws InterruptedException {
        return run(args, out, System.err);
    }

    public static int run(List<String> args, PrintStream stdout, PrintStream err) throws InterruptedException {
        Options o = Options.parse("check", args, RunOptions.flags("--strict", "--json"), RunOptions.valued("--expect", "--junit"));
        boolean json = o.flag("--json");
        PrintStream out = json ? err : stdout; // with --json, stdout holds the JSON alone
        List<Expectation> expectations = o.all("--expect").stream().map(Expectation::parse).toList();
        Path junit = writable(o.value("--junit", null));
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        List<CheckReport.Result> results = new ArrayList<>();
        List<String> instances = new ArrayList<>(); // what each micro's instances did, said under the table
        String name = appName(o.positional(1, "one Spacefile path"));
        int exit;
        String step = "Spacefile";
        try {
            Path file = SpacefileReader.locate(o.positional(1, "one Spacefile path"));
            App app = load(file, out, results);
            if (app == null) {
                exit = UserError.CONFIG;
            } else {
                name = app.displayName();
                step = "options";
                RunConfig cfg = RunOptions.config(o, file, 0);
                step = "start";
                checks(app, cfg, o.flag("--strict"), expectations, out, results, instances);
                exit = results.stream().allMatch(CheckReport.Result::ok) ? 0 : 1;
            }
        } catch (UserError e) { // no Spacefile, a bad option value, or the start stopped (a port, a runtime, a src folder)
            for (String line : e.getMessage().split("\n")) out.println("micros: " + line); // as run says it, then the reports
            results.add(CheckReport.Result.step(null, step, e.getMessage().replace('\n', ' ')));
            exit = e.exitCode() == UserError.CONFIG ? UserError.CONFIG : 1;
        }
        long total = (System.nanoTime() - t0) / 1_000_000;
        if (junit != null) {
            try {
                Files.writeString(junit, CheckReport.junit(name, results, total, started));
            } catch (IOException ex) {
                out.println("micros: cannot write the JUnit report " + junit + ": " + ex.getMessage());
                exit = Math.max(exit, 1);
            }
        }
        CheckReport.table(out, results);
        long failed = results.stream().filter(r -> !r.ok()).count();
        out.println(failed == 0 ? "all " + ValidateCommand.plural(results.size(), "check") + " passed"
                : failed + " of " + ValidateCommand.plural(results.size(), "check") + " failed");
        if (!instances.isEmpty()) out.println("instances: " + String.join("; ", instances));
        if (json) stdout.println(CheckReport.json(name, results, total));
        return exit;
    }

    /** Reads the Spacefile, printing its problems; an invalid one is a failed check naming its errors. */
    private static App load(Path file, PrintStream out, List<CheckReport.Result> results) {
        micros.spacefile.Reading r = SpacefileReader.read(file);
        for (Problem p : r.problems()) if (p.isError() || !p.blocksRun()) out.println(p);
        if (r.valid()) return r.app();
        List<String> errors = r.problems().stream().filter(Problem::isError).map(Problem::toString).toList();
        results.add(CheckReport.Result.step(null, "Spacefile", String.join("; ", errors)));
        return null;
    }

    private static void checks(App app, RunConfig cfg, boolean strict, List<Expectation> expectations, PrintStream out,
                               List<CheckReport.Result> results, List<String> instances) throws InterruptedException {
        Log log = new Log(out, cfg.logFormat(), Log.colorWanted());
        log.names(app.micros().stream().map(Micro::name).toList());
        var sizes = micros.spacefile.PackageSize.check(app, Problem.Severity.WARNING, RunCommand.positions(cfg.spacefile()));
        sizes.forEach(out::println);
        if (strict)
            for (Problem p : sizes) results.add(CheckReport.Result.step(null, "package size", p.message() + " (check --strict)"));
        RunOptions.warnUndeclared(app, cfg, log);
        List<RunOptions.Unset> unset = RunOptions.warnUnset(app, cfg, log);
        if (strict)
            for (RunOptions.Unset u : unset) results.add(CheckReport.Result.step(u.micro(), "env " + u.name(), u.problem() + " (check --strict)"));
        try (Emulator e = StopOnSignal.start(() -> Emulator.start(app, cfg, log), () -> { }, stopped -> { })) {
            Map<String, String> notBuilt = e.runtime().buildFailures();
            notBuilt.forEach((micro, why) -> results.add(CheckReport.Result.step(micro, "install and build", log.redact(why))));
            RunCommand.limits(e, log);
            List<Expectation> todo = expectations.isEmpty()
                    ? app.micros().stream().map(m -> Expectation.of(m, e.runtime().supervisor(m) == null)).toList() : expectations;
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            for (Expectation x : todo) results.add(check(e, client, x, cfg, log));
            for (Micro m : app.micros()) {
                Supervisor s = e.runtime().supervisor(m);
                if (s != null && s.remote() == null && s.spawns() > 0) instances.add(instances(m.name(), s));
            }
        }
        if (!strict && !unset.isEmpty())
            out.println("warning: " + ValidateCommand.plural(unset.size(), "preset variable") + " without a value (above): check --strict fails on them");
    }

    /** One request and its result; what the micro answered or printed is shown as the log shows it (no control sequence, no secret). */
    private static CheckReport.Result check(Emulator e, HttpClient client, Expectation x, RunConfig cfg, Log log) throws InterruptedException {
        Micro m = e.runtime().app().micros().stream().filter(mm -> routes(mm, x.path())).findFirst().orElse(e.app().primary());
        Supervisor s = e.runtime().supervisor(m);
        long coldBefore = s == null ? 0 : s.coldStarts(), servedBefore = s == null ? 0 : s.requestsServed();
        int status = -1;
        String reason = null;
        long t0 = System.nanoTime();
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(e.url() + x.path())).timeout(cfg.limits().timeout().plusSeconds(5))
                    .header("Cookie", "space_token=" + cfg.ownerToken()); // checks run as the app's owner
            b.method(x.method(), HttpRequest.BodyPublishers.noBody());
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            status = r.statusCode();
            if (!x.passes(status)) {
                String body = log.redactLines(new String(r.body(), StandardCharsets.UTF_8).strip()); // before it is cut: never half a secret
                reason = "expected " + x.expected() + ", got " + status + (body.isEmpty() ? "" : ": " + (body.length() > 300 ? body.substring(0, 300) + "..." : body));
            }
        } catch (IOException | IllegalArgumentException ex) {
            reason = log.redactLines(String.valueOf(ex.getMessage()));
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        long cold = s != null && s.coldStarts() > coldBefore ? s.lastColdStartMillis() : -1;
        long instance = s != null && s.requestsServed() > servedBefore ? s.lastServed() : 0; // checks go one at a time: the last one it took
        List<String> last = reason != null && s != null ? s.lastLines(20) : List.of();
        return CheckReport.Result.request(m.name(), x.method(), x.path(), status, x.expected(), instance, cold, millis, reason, last);
    }

    /** "api: 2 cold starts (at most 8 instances), now 1 warm, 1 frozen": the instances the checks needed and what they are now. */
    static String instances(String micro, Supervisor s) {
        Map<String, Integer> now = new java.util.TreeMap<>();
        for (Supervisor.InstanceView i : s.instances()) now.merge(i.state(), 1, Integer::sum);
        long failed = s.spawns() - s.coldStarts();
        StringBuilder b = new StringBuilder(micro + ": " + ValidateCommand.plural(s.coldStarts(), "cold start")
                + (failed > 0 ? ", " + ValidateCommand.plural(failed, "failed start") : "") + " (at most " + ValidateCommand.plural(s.cap(), "instance") + ")");
        if (now.isEmpty()) return b.append(", none running now").toString();
        b.append(", now");
        String sep = " ";
        for (var n : now.entrySet()) {
            b.append(sep).append(n.getValue()).append(' ').append(n.getKey());
            sep = ", ";
        }
        return b.toString();
    }

    private static boolean routes(Micro m, String path) {
        if (m.primary()) return false;
        return path.equals(m.prefix()) || path.startsWith(m.prefix() + "/") || path.startsWith(m.prefix() + "?");
    }

    /** The app's name for reports when its Spacefile cannot be read: the project folder's. */
    private static String appName(String given) {
        Path p = Path.of(given == null ? "." : given).toAbsolutePath().normalize();
        if (!Files.isDirectory(p) && p.getParent() != null) p = p.getParent();
        return p.getFileName() == null ? "app" : p.getFileName().toString();
    }

    /** The --junit file, known to be writable before anything starts (a report that cannot be written is found out now, not after the run). */
    private static Path writable(String given) {
        if (given == null) return null;
        Path p = Path.of(given);
        boolean existed = Files.exists(p);
        try {
            Files.newByteChannel(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE).close(); // opened: it can be written
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            String why = e instanceof java.nio.file.NoSuchFileException ? "its folder does not exist" : RunOptions.why(e);
            throw UserError.config("--junit " + given + ": cannot write the report there (" + why + "): give a file in a folder that exists and you can write to");
        }
        if (!existed) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // written over at the end anyway
            }
        }
        return p;
    }
}
