package micros.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import micros.runtime.Redactor;
import micros.runtime.StateDir;
import micros.spacefile.App;
import micros.spacefile.App.Action;
import micros.spacefile.App.Micro;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/**
 * {@code micros trigger ACTION_ID}: fires one action now through the running emulator of this
 * project (its address and owner token are in the project's state folder), prints the micro's
 * answer as the log would show it (no control sequence, no secret this command knows), exits 0 on a 2xx.
 */
public final class TriggerCommand {
    private TriggerCommand() {}

    public static int run(List<String> args, PrintStream out) throws InterruptedException {
        Options o = Options.parse("trigger", args, List.of(), List.of("--port"));
        List<String> pos = o.positionals();
        if (pos.isEmpty()) throw Options.usage("trigger", "which action? give its id");
        if (pos.size() > 2) throw Options.usage("trigger", "unexpected argument '" + pos.get(2) + "'");
        String id = pos.get(0);
        Path file = SpacefileReader.locate(pos.size() > 1 ? pos.get(1) : null);
        App app = SpacefileReader.read(file).app();
        if (app == null) throw UserError.config(file + " is invalid: run '" + micros.util.Programs.INVOCATION + " validate' to see why");
        List<String> known = new ArrayList<>();
        for (Micro m : app.micros()) for (Action a : m.actions()) known.add(a.id());
        if (!known.contains(id))
            throw UserError.config("no action '" + id + "' in " + file + (known.isEmpty() ? " (it has no actions)" : "; its actions: " + String.join(", ", known)));
        Map<String, String> run = StateDir.of(app.root()).readRun()
                .filter(r -> r.get("pid") != null && ProcessHandle.of(Long.parseLong(r.get("pid"))).map(ProcessHandle::isAlive).orElse(false))
                .orElseThrow(() -> UserError.runtime("micros is not running for " + app.root() + ": start it with 'java -jar micros.jar run', then trigger again"));
        String base = run.get("url");
        if (o.value("--port", null) != null) base = "http://" + run.getOrDefault("host", "127.0.0.1") + ":" + o.value("--port", null);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/__micros/actions/" + id)).timeout(Duration.ofMinutes(5))
                .header("Cookie", "space_token=" + run.get("owner_token")).POST(HttpRequest.BodyPublishers.noBody()).build();
        HttpResponse<String> r;
        try {
            r = client.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw UserError.runtime("cannot reach micros at " + base + " (" + e.getMessage() + "): is it still running?");
        }
        String ms = r.headers().firstValue("X-Micros-Duration-Ms").orElse("?");
        out.println("action " + id + ": " + r.statusCode() + " in " + ms + " ms");
        if (!r.body().isEmpty()) out.println(redactor(app, run).text(r.body().stripTrailing()));
        return r.statusCode() >= 200 && r.statusCode() < 300 ? 0 : 1;
    }

    /**
     * The gateway answers the action as the log shows it; this cleans it again with the secrets
     * trigger knows (the owner token, the project key), for a gateway of another version.
     */
    private static Redactor redactor(App app, Map<String, String> run) {
        Redactor r = new Redactor();
        r.add(run.get("owner_token"));
        try {
            Path key = StateDir.of(app.root()).path().resolve("project-key");
            if (Files.isReadable(key)) r.add(Files.readString(key).strip());
        } catch (IOException ignored) {
            // nothing more to hide then
        }
        return r;
    }
}
