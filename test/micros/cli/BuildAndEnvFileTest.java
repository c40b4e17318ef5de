package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.Jar.Proc;
import micros.util.Json;

/** A micro's `commands`, --env-file and --log-format json, through the jar. */
class BuildAndEnvFileTest {
    @TempDir
    Path dir;

    @Test
    void commandsRunInTheStageBeforeServingAndOnlyWhenSomethingChanged() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: dist\n"
                + "    commands:\n      - mkdir -p dist\n      - echo built > dist/index.html\n      - echo done building\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check", "--expect", "GET / 200");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().matches("(?s).*site +\\| done building\n.*"), "a command's output shows as it comes:\n" + r.all());
        assertTrue(r.out().matches("(?s).*site +\\| echo done building: done in .*"), r.all());
        assertEquals("built\n", Files.readString(dir.resolve(".micros/build/site/app/dist/index.html")));
        assertFalse(Files.exists(dir.resolve("site/dist")), "the build wrote into the owner's folder");

        Jar.Result again = Jar.run(dir, Map.of(), "check", "--expect", "GET / 200");
        assertEquals(0, again.exit(), again.all());
        assertFalse(again.out().contains("echo done building"), "nothing changed: nothing is built again\n" + again.all());
        Jar.Result forced = Jar.run(dir, Map.of(), "check", "--build", "--expect", "GET / 200");
        assertEquals(0, forced.exit(), forced.all());
        assertTrue(forced.out().contains("echo done building: done in"), "--build builds again:\n" + forced.all());
    }

    @Test
    void aFailingCommandLeavesItsMicroUnavailableAndSaysWhere() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("site/index.html"), "site\n");
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: .\n"
                + "    commands:\n      - echo failing >&2; exit 7\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check");
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains("| echo failing >&2; exit 7: failed with exit code 7 after"), r.all());
        assertTrue(r.out().contains("(its output is above, and in " + dir.resolve(".micros/build/site/command-1.log") + ")"), "it names the log:\n" + r.all());
        assertTrue(r.out().contains("| failing"), "its output:\n" + r.all());
        assertTrue(r.out().contains("| to rerun it by hand: cd " + dir.resolve(".micros/build/site/app") + " && /bin/sh -c"), r.all());
        assertTrue(r.out().matches("(?s).*site\\s+GET /\\s+below 400\\s+503.*"), r.all());
    }

    @Test
    void envFileValuesReachTheMicroAndJsonLogsAreOneObjectPerLine() throws Exception {
        Apps.require("node", "python3");
        Path app = Apps.copy("engines", dir);
        Files.writeString(dir.resolve("values.env"), "# values\nexport SECRET_MESSAGE=\"from file\"\n\nNO_DEFAULT=x=y\n");
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public", "--log-format", "json", "--env-file", dir.resolve("values.env").toString(),
                "--env", "NO_DEFAULT=flag wins")) {
            String ready = p.await("is listening on", 20);
            int port = Integer.parseInt(ready.replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1"));
            @SuppressWarnings("unchecked")
            Map<String, Object> env = (Map<String, Object>) Json.object(Http.get(port, "/env").text()).get("env");
            assertEquals("from file", env.get("SECRET_MESSAGE"));
            assertEquals("flag wins", env.get("NO_DEFAULT"));
            String cold = p.await("env: cold start", 10);
            Map<String, Object> line = Json.object(cold);
            assertEquals("micros", line.get("micro"));
            assertEquals("event", line.get("stream"));
            assertTrue(((String) line.get("time")).endsWith("Z"));
        }
    }

    @Test
    void aBadEnvFileLineIsOneSentence() throws Exception {
        Apps.require("node", "python3");
        Path app = Apps.copy("engines", dir);
        Files.writeString(dir.resolve("bad.env"), "GOOD=1\nthis is not a pair\n");
        Jar.Result r = Jar.run(app, Map.of(), "run", "--env-file", dir.resolve("bad.env").toString());
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.out().contains("bad.env:2: expected NAME=VALUE"), r.all());
    }
}
