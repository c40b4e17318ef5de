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
import java.time.Duration;
import java.util.List;
import java.util.Map;

import micros.Emulator;
import micros.classic.RunInput;
import micros.runtime.Log;
import micros.runtime.RunConfig;
import micros.runtime.StateDir;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.SpacefileReader;
import micros.util.Json;
import micros.util.UserError;

/**
 * {@code micros invoke [PATH] [ACTION] [-- INPUT...]}: `deta run` for a micro with app.lib.run
 * handlers. The input becomes {@code event.json} as the deta CLI built it; the event goes to the
 * micro as an action call ({"event":{"trigger":"run","action":..,"body":..}}), through the micros
 * running for the project, or through one started for the call and stopped after it.
 */
public final class InvokeCommand {
    private InvokeCommand() {}

    public static int run(List<String> args, PrintStream out, PrintStream err) throws InterruptedException {
        int dash = args.indexOf("--");
        List<String> input = dash < 0 ? List.of() : args.subList(dash + 1, args.size());
        Options o = Options.parse("invoke", dash < 0 ? args : args.subList(0, dash), RunOptions.flags(), RunOptions.valued("--micro"));
        List<String> pos = o.positionals();
        if (pos.size() > 2) throw Options.usage("invoke", "unexpected argument '" + pos.get(2) + "': expected [PATH] [ACTION], then -- and the input");
        String path = null, action = "";
        if (pos.size() == 2) {
            path = pos.get(0);
            action = pos.get(1);
        } else if (pos.size() == 1) {
            if (Files.exists(Path.of(pos.get(0)))) path = pos.get(0);
            else action = pos.get(0);
        }
        Path file = SpacefileReader.locate(path);
        App app = RunOptions.load(file, err);
        Micro micro = o.value("--micro", null) == null ? app.primary() : app.micro(o.value("--micro", null));
        if (micro == null) throw UserError.config("no micro '" + o.value("--micro", null) + "' in " + file);
        String body = RunInput.json(RunInput.parse(input));
        String event = "{\"event\":{\"id\":" + Json.quote(action) + ",\"trigger\":\"run\",\"action\":" + Json.quote(action) + ",\"body\":" + Json.quote(body) + "}}";

        Map<String, String> running = StateDir.of(app.root()).readRun()
                .filter(r -> r.get("pid") != null && ProcessHandle.of(Long.parseLong(r.get("pid"))).map(ProcessHandle::isAlive).orElse(false))
                .orElse(null);
        out.println("Running micro...");
        out.println();
        HttpResponse<String> r;
        if (running != null) {
            r = send(running.get("url") + micro.prefix(), running.get("owner_token"), event, Duration.ofMinutes(5));
        } else { // as `check` does: started for this call, on a free port, stopped after it
            RunConfig cfg = RunOptions.config(o, file, 0);
            Log log = new Log(err, cfg.logFormat(), Log.colorWanted());
            log.names(app.micros().stream().map(Micro::name).toList());
            RunOptions.warnUnset(app, cfg, log);
            try (Emulator e = StopOnSignal.start(() -> Emulator.start(app, cfg, log), () -> { }, stopped -> { })) {
                String failed = e.runtime().buildFailures().get(micro.name());
                if (failed != null) throw UserError.runtime("micro '" + micro.name() + "' could not be installed or built: " + failed);
                r = send(e.url() + micro.prefix(), cfg.ownerToken(), event, cfg.limits().timeout().plusSeconds(10));
            }
        }
        return report(r, action, out);
    }

    private static HttpResponse<String> send(String base, String ownerToken, String event, Duration timeout) throws InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/__space/v0/actions")).timeout(timeout)
                .header("Cookie", "space_token=" + ownerToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(event)).build();
        try {
            return client.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw UserError.runtime("cannot reach micros at " + base + " (" + e.getMessage() + "): is it still running?");
        }
    }

    /** `Response:` and the handler's value as the deta CLI printed it; exit 1 when the handler raised, 2 for an unknown action. */
    private static int report(HttpResponse<String> r, String action, PrintStream out) {
        Object doc = null;
        try {
            doc = Json.parse(r.body());
        } catch (IllegalArgumentException notJson) {
            // below
        }
        boolean fromLibrary = r.statusCode() == 200 || doc instanceof Map<?, ?> m && m.containsKey("errorMessage");
        if (!fromLibrary) {
            String text = r.body().strip();
            throw UserError.runtime("the micro answered " + r.statusCode() + (text.isEmpty() ? "" : ": " + (text.length() > 300 ? text.substring(0, 300) + "..." : text))
                    + (r.statusCode() < 500 ? " (does its code register run handlers with app.lib.run from the deta library?)" : ""));
        }
        if (doc instanceof Map<?, ?> m && "NoHandler".equals(m.get("errorType")))
            throw UserError.config(String.valueOf(m.get("errorMessage")));
        out.println("Response:");
        out.println(RunInput.pretty(doc));
        return r.statusCode() == 200 ? 0 : 1;
    }
}
