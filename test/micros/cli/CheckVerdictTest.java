package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Jar;

/** `check` is a CI gate: it must never pass an app that is broken for its users. */
class CheckVerdictTest {
    @TempDir
    Path dir;

    /** A node micro answering {@code status} to every request. */
    private static void answering(Path src, int status) throws Exception {
        Files.createDirectories(src);
        Files.writeString(src.resolve("server.js"), "require('http').createServer((q, s) => { s.statusCode = " + status
                + "; s.end('answer ' + q.url + '\\n'); }).listen(process.env.PORT);\n");
    }

    /** The primary's 404 at / is a broken app; another process micro keeps "any answer below 500" (an API may have nothing at its root). */
    @Test
    void aPrimaryAnswering404AtTheRootFailsWhileAnApiMayAnswer404() throws Exception {
        Apps.require("node");
        Files.createDirectories(dir.resolve("web/site"));
        Files.writeString(dir.resolve("web/site/app.js"), "// no index.html: nothing at /\n");
        answering(dir.resolve("api"), 404);
        Files.writeString(dir.resolve("Spacefile"), """
                v: 0
                micros:
                  - name: web
                    src: web
                    engine: static
                    serve: site
                    primary: true
                  - name: api
                    src: api
                    engine: nodejs16
                    run: node server.js
                """);
        Jar.Result r = Jar.run(dir, Map.of(), "check");
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().matches("(?s).*\\nweb +GET / +below 400 +404 +- +- +fail \\(expected below 400\\).*"), r.all());
        assertTrue(r.out().matches("(?s).*\\napi +GET /api +below 500 +404 +1 +[0-9]+ ms +ok\\n.*"), r.all());
        assertTrue(r.out().contains("1 of 2 checks failed"), r.all());

        Jar.Result given = Jar.run(dir, Map.of(), "check", "--expect", "/ 404", "--expect", "/api 2xx");
        assertEquals(1, given.exit(), given.all());
        assertTrue(given.out().matches("(?s).*\\nweb +GET / +404 +404 .*ok\\n.*"), "--expect says what is expected: " + given.all());
        assertTrue(given.out().matches("(?s).*\\napi +GET /api +2xx +404 .*fail \\(expected 2xx\\).*"), given.all());
    }

    /** A micro that cannot start: its error line in check's table, not only in the log above it. */
    @Test
    void aMicroThatCannotStartShowsItsErrorLineInTheTable() throws Exception {
        Apps.require("node", "python3");
        Path app = Apps.copy("dashboard", dir);
        Jar.Result r = Jar.run(app, Map.of(), "check");
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().matches("(?s).*\\nbroken +GET /broken +below 500 +503 +- +- +fail \\(expected below 500\\): "
                + "ModuleNotFoundError: No module named 'nosuchmodule_for_micros_tests'\\n.*"), r.all());
    }

    /** A preset without a value and without a default: a warning in every check, a failure under --strict. */
    @Test
    void aPresetWithoutAValueWarnsAndFailsUnderStrict() throws Exception {
        Apps.require("node");
        answering(dir.resolve("api"), 200);
        Files.writeString(dir.resolve("Spacefile"), """
                v: 0
                micros:
                  - name: api
                    src: api
                    engine: nodejs16
                    run: node server.js
                    primary: true
                    presets:
                      env:
                        - name: DATABASE_URL
                        - name: MODE
                          default: prod
                """);
        Jar.Result plain = Jar.run(dir, Map.of(), "check");
        assertEquals(0, plain.exit(), plain.all());
        assertTrue(plain.out().contains("micro 'api': DATABASE_URL has no value and no default"), plain.all());
        assertTrue(plain.out().contains("warning: 1 preset variable without a value (above): check --strict fails on them"), plain.all());

        Jar.Result strict = Jar.run(dir, Map.of(), "check", "--strict");
        assertEquals(1, strict.exit(), strict.all());
        assertTrue(strict.out().matches("(?s).*\\napi +env DATABASE_URL +- +- +- +- +fail \\(DATABASE_URL has no value and no default.*"), strict.all());
        assertTrue(!strict.out().contains("env MODE"), "MODE has a default: " + strict.all());

        Jar.Result set = Jar.run(dir, Map.of(), "check", "--strict", "--env", "DATABASE_URL=sqlite://x");
        assertEquals(0, set.exit(), set.all());
    }

    /**
     * A frontend build that failed after writing part of its folder: the next check must not serve
     * that folder as if it were built: issue 25's staged builds discard a failed build's output,
     * never take it as built, and build again at every start.
     */
    @Test
    void aFailedFrontendBuildIsNotPassedTheNextTime() throws Exception {
        Apps.require("node", "npm");
        Path web = Files.createDirectories(dir.resolve("web"));
        Files.writeString(web.resolve("package.json"), "{\"name\": \"web\", \"version\": \"1.0.0\", \"scripts\": {\"build\":"
                + " \"mkdir -p dist && echo '<h1>half a build</h1>' > dist/index.html && echo the bundler failed >&2 && exit 3\"}}\n");
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: web\n    src: web\n    engine: vue\n    primary: true\n");
        Jar.Result first = Jar.run(dir, Map.of(), "check");
        assertEquals(1, first.exit(), first.all());
        assertTrue(first.out().contains("its frontend build failed"), first.all());
        Jar.Result second = Jar.run(dir, Map.of(), "check");
        assertEquals(1, second.exit(), "the half-built folder was served as the app:\n" + second.all());
    }
}
