package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

/** --build, --env-file and --log-format json, through the jar. */
class BuildAndEnvFileTest {
    @TempDir
    Path dir;

    @Test
    void buildRunsCommandsBeforeServing() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: dist\n"
                + "    commands:\n      - mkdir -p dist\n      - echo built > dist/index.html\n      - echo done building\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check", "--build", "--expect", "GET / 200");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("site   | done building") || r.out().contains("site | done building"), r.all());
        assertEquals("built\n", Files.readString(dir.resolve("site/dist/index.html")));
    }

    @Test
    void aFailingBuildStopsWithItsExitCode() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: .\n"
                + "    commands:\n      - echo failing >&2; exit 7\n");
        Jar.Result r = Jar.run(dir, Map.of(), "run", "--build", "--port", "0");
        assertEquals(7, r.exit(), r.all());
        assertTrue(r.out().contains("micros: micro 'site': build command 'echo failing >&2; exit 7' failed with exit code 7"), r.all());
        assertTrue(r.out().contains("| failing"), r.all());
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
