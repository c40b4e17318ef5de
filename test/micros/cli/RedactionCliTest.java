package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.util.Json;

/**
 * A micro that prints its secrets (DETA_PROJECT_KEY, its secret half, DETA_API_KEY, the owner
 * token it was handed) split by escape sequences and invisible characters, in its log and in its
 * answers: no output of micros shows one, in check's table, JSON, JUnit and failure detail, in
 * run's JSON log, or in trigger's printed answer.
 */
class RedactionCliTest {
    static final String OWNER = "owner-token-for-redaction-0123";

    static final String SPACEFILE = """
            v: 0
            micros:
              - name: api
                src: api
                engine: nodejs16
                run: node app.js
                primary: true
                presets:
                  env:
                    - name: LEAK
                      description: the owner token, handed to the micro so that it can print it
                actions:
                  - id: tick
                    name: Tick
                    trigger: schedule
                    default_interval: 1 hour
            """;

    static final String APP_JS = """
            const http = require("http");
            const env = process.env;
            const cut = (s) => { const a = s.slice(0, 5), b = s.slice(5); return [a + "\\x1b[31m" + b, a + "\\x1b]0;t\\x07" + b, a + "\\u009b1m" + b, a + "\\u200b" + b].join(" "); };
            const key = env.DETA_PROJECT_KEY;
            const leak = () => "leak " + [key, key.slice(key.indexOf("_") + 1), env.DETA_API_KEY, env.LEAK].map(cut).join(" ") + " end";
            console.log("hex " + Buffer.from(env.DETA_API_KEY).toString("hex"));
            console.log(leak());
            http.createServer((req, res) => {
              console.log(leak());
              res.statusCode = req.url.startsWith("/__space/v0/actions") ? 200 : 500;
              res.end(leak() + "\\n" + leak() + "\\n");
            }).listen(Number(env.PORT), "127.0.0.1");
            """;

    @TempDir
    Path dir;

    private Path app() throws Exception {
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.createDirectories(app.resolve("api"));
        Files.writeString(app.resolve("Spacefile"), SPACEFILE);
        Files.writeString(app.resolve("api/app.js"), APP_JS);
        return app;
    }

    /** What a reader sees: no escape sequence, control or invisible character (XML's U+FFFD stands for a control character). */
    static String reads(String text) {
        return text.replace('\uFFFD', '\u001b')
                .replaceAll("\u001b\\[[0-9;?]*[ -/]*[@-~]|\u001b\\][^\u0007\u001b]*(\u0007|\u001b)|\u009b[0-9;]*[@-~]", "")
                .replaceAll("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]", "");
    }

    /** The four secrets the micro printed: the project key and its secret half, DETA_API_KEY (printed in hex too, so the test knows it), the owner token. */
    private static List<String> secrets(Path app, String output) throws Exception {
        String key = Files.readString(app.resolve(".micros/project-key")).strip();
        Matcher hex = Pattern.compile("hex ([0-9a-f]+)").matcher(output);
        assertTrue(hex.find(), output);
        String apiKey = new String(HexFormat.of().parseHex(hex.group(1)), StandardCharsets.UTF_8);
        return List.of(key, key.substring(key.indexOf('_') + 1), apiKey, OWNER);
    }

    private static void noSecret(String what, String text, List<String> secrets) {
        for (String s : secrets) assertFalse(reads(text).contains(s), what + " shows a secret: " + text);
        assertTrue(text.contains("leak " + "[redacted] ".repeat(16) + "end"), what + " shows the redacted line: " + text);
    }

    @Test
    void checksTableJsonJunitAndFailureDetailShowNoSecret() throws Exception {
        Apps.require("node");
        Path app = app();
        Path owner = dir.resolve("owner"), report = dir.resolve("report.xml");
        Files.writeString(owner, OWNER + "\n");
        Jar.Result r = Jar.run(app, "check", "--json", "--junit", report.toString(), "--owner-token-file", owner.toString(),
                "--env", "LEAK=" + OWNER, "--expect", "GET / 200");
        assertEquals(1, r.exit(), r.all());
        List<String> secrets = secrets(app, r.err());
        noSecret("check's log and table (stderr)", r.err(), secrets);
        Object json = Json.parse(r.out().strip());
        noSecret("check --json", json.toString(), secrets);
        @SuppressWarnings("unchecked")
        Map<String, Object> first = (Map<String, Object>) ((List<Object>) ((Map<String, Object>) json).get("checks")).get(0);
        noSecret("check --json's reason (the micro's answer)", String.valueOf(first.get("reason")), secrets);
        noSecret("check --json's last output", String.valueOf(first.get("lastOutput")), secrets);
        String junit = Files.readString(report);
        noSecret("check --junit", junit, secrets);
        String failure = junit.substring(junit.indexOf("<failure"));
        assertTrue(failure.contains("last output of micro api:"), failure);
        noSecret("check --junit's failure detail", failure.substring(failure.indexOf('>')), secrets);
    }

    @Test
    void runsJsonLogAndTriggersAnswerShowNoSecret() throws Exception {
        Apps.require("node");
        Path app = app();
        List<String> lines;
        String triggered;
        try (Jar.Proc p = Jar.start(app, Map.of("MICROS_OWNER_TOKEN", OWNER), "run", "--port", "0", "--log-format", "json", "--env", "LEAK=" + OWNER)) {
            String listening = p.await("is listening on", 20);
            int port = Integer.parseInt(listening.replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1"));
            p.await("Press Ctrl-C to stop.", 10);
            assertEquals(401, Http.get(port, "/").status(), "private: only the action reaches the micro");
            Jar.Result trigger = Jar.run(app, Map.of(), "trigger", "tick");
            assertEquals(0, trigger.exit(), trigger.all());
            triggered = trigger.all();
            p.await("leak ", 10);
            lines = new ArrayList<>(List.of(p.output().split("\n")));
        }
        List<String> secrets = secrets(app, String.join("\n", lines));
        noSecret("trigger's printed answer", triggered, secrets);
        StringBuilder texts = new StringBuilder();
        for (String l : lines) texts.append(l.startsWith("{") ? Json.object(l).get("text") : l).append('\n');
        noSecret("run --log-format json", texts.toString(), secrets);
    }
}
