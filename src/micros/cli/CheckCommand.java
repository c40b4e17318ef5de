package micros.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import micros.Emulator;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.runtime.Supervisor;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/**
 * {@code micros check}: the CI smoke test. Starts the app on a free port, sends a request to
 * each micro (or the --expect requests), prints a table, stops everything; exit 0 when all passed.
 */
public final class CheckCommand {
    private CheckCommand() {}

    /** One request to make and what counts as passing: an exact status, a class ("2xx"), or any answer below 500. */
    record Expectation(String method, String path, String status) {
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
            return new Expectation(method, path, status);
        }

        boolean passes(int code) {
            if (status == null) return code < 500;
            if (status.endsWith("xx")) return code / 100 == status.charAt(0) - '0';
            return code == Integer.parseInt(status);
        }
    }

    public static int run(List<String> args, PrintStream out) throws InterruptedException {
        return run(args, out, System.err);
    }

    public static int run(List<String> args, PrintStream stdout, PrintStream err) throws InterruptedException {
        Options o = Options.parse("check", args, RunOptions.flags("--strict", "--json"), RunOptions.valued("--expect", "--junit"));
        boolean json = o.flag("--json");
        PrintStream out = json ? err : stdout; // with --json, stdout holds the JSON alone
        Path file = SpacefileReader.locate(o.positional(1, "one Spacefile path"));
        List<Expectation> expectations = o.all("--expect").stream().map(Expectation::parse).toList();
        Path junit = o.value("--junit", null) == null ? null : Path.of(o.value("--junit", null));
        RunConfig cfg = RunOptions.config(o, file, 0);
        Log log = new Log(out, cfg.logFormat(), Log.colorWanted());
        App app = RunOptions.load(file, out);
        log.names(app.micros().stream().map(Micro::name).toList());
        var sizes = micros.spacefile.PackageSize.check(app, micros.spacefile.Problem.Severity.WARNING, RunCommand.positions(file));
        sizes.forEach(out::println);
        if (!sizes.isEmpty() && o.flag("--strict")) {
            out.println("check --strict: the app is over Space's package limits");
            return 1;
        }
        if (expectations.isEmpty())
            expectations = app.micros().stream().map(m -> new Expectation("GET", m.prefix().isEmpty() ? "/" : m.prefix(), null)).toList();
        RunOptions.warnUndeclared(app, cfg, log);
        RunOptions.warnUnset(app, cfg, log);
        List<CheckReport.Result> results = new ArrayList<>();
        java.time.Instant started = java.time.Instant.now();
        long t0 = System.nanoTime();
        java.util.Map<String, String> notBuilt;
        try (Emulator e = Emulator.start(app, cfg, log)) {
            notBuilt = e.runtime().buildFailures();
            RunCommand.limits(e, log);
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            for (Expectation x : expectations) results.add(check(e, client, x, cfg, log));
        }
        long total = (System.nanoTime() - t0) / 1_000_000;
        long failed = results.stream().filter(r -> !r.ok()).count();
        if (junit != null) {
            try {
                java.nio.file.Files.writeString(junit, CheckReport.junit(app.displayName(), results, total, started));
            } catch (IOException ex) {
                throw UserError.runtime("cannot write the JUnit report " + junit + ": " + ex.getMessage());
            }
        }
        printTable(out, results);
        notBuilt.forEach((name, why) -> out.println("micro " + name + ": not installed or built: " + log.redact(why)));
        if (!notBuilt.isEmpty()) {
            out.println(ValidateCommand.plural(notBuilt.size(), "micro") + " could not be installed or built: check failed");
            if (json) stdout.println(CheckReport.json(app.displayName(), results, total));
            return 1;
        }
        out.println(failed == 0 ? "all " + ValidateCommand.plural(results.size(), "check") + " passed"
                : failed + " of " + ValidateCommand.plural(results.size(), "check") + " failed");
        if (json) stdout.println(CheckReport.json(app.displayName(), results, total));
        return failed == 0 ? 0 : 1;
    }

    /** One request and its result; what the micro answered or printed is shown as the log shows it (no control sequence, no secret). */
    private static CheckReport.Result check(Emulator e, HttpClient client, Expectation x, RunConfig cfg, Log log) throws InterruptedException {
        Micro m = e.runtime().app().micros().stream().filter(mm -> routes(mm, x.path())).findFirst().orElse(e.app().primary());
        Supervisor s = e.runtime().supervisor(m);
        long coldBefore = s == null ? 0 : s.coldStarts();
        String expected = x.status() == null ? "an answer below 500" : x.status();
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
                String body = log.redactLines(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8).strip()); // before it is cut: never half a secret
                reason = "expected " + expected + ", got " + status + (body.isEmpty() ? "" : ": " + (body.length() > 300 ? body.substring(0, 300) + "..." : body));
            }
        } catch (IOException | IllegalArgumentException ex) {
            reason = log.redactLines(String.valueOf(ex.getMessage()));
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        long cold = s != null && s.coldStarts() > coldBefore ? s.lastColdStartMillis() : -1;
        List<String> last = reason != null && s != null ? s.lastLines(20) : List.of();
        return new CheckReport.Result(m.name(), x.method(), x.path(), status, expected, cold, millis, reason == null, reason, last);
    }

    private static boolean routes(Micro m, String path) {
        if (m.primary()) return false;
        return path.equals(m.prefix()) || path.startsWith(m.prefix() + "/") || path.startsWith(m.prefix() + "?");
    }

    private static void printTable(PrintStream out, List<CheckReport.Result> results) {
        List<String[]> rows = new ArrayList<>();
        for (CheckReport.Result r : results)
            rows.add(new String[] {r.micro(), r.request(), r.status() < 0 ? "-" : Integer.toString(r.status()),
                    r.coldStartMillis() < 0 ? "-" : r.coldStartMillis() + " ms",
                    r.ok() ? "ok" : "fail (" + (r.status() < 0 ? r.reason() : "expected " + r.expected()) + ")"});
        String[] head = {"micro", "request", "status", "cold start", "result"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) w[i] = head[i].length();
        for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder fmt = new StringBuilder();
        for (int i = 0; i < w.length - 1; i++) fmt.append("%-").append(w[i]).append("s  ");
        fmt.append("%s%n");
        out.println();
        out.printf(fmt.toString(), (Object[]) head);
        for (String[] r : rows) out.printf(fmt.toString(), (Object[]) r);
    }
}
