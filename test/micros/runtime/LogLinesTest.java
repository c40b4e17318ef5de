package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.sandbox.Limiter;
import micros.sandbox.Sandbox;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;

/**
 * What the log says when things go wrong, through the real jar and real micros: a crash trace
 * once and without micros' launchers' frames, no "Terminated" of micros' own at a stop, one note
 * per run for writes to the read-only filesystem, one line per OOM kill.
 */
class LogLinesTest {
    @TempDir
    Path dir;

    private void spacefile(String micros) throws Exception {
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n" + micros);
    }

    private static long count(String output, String regex) {
        return Pattern.compile(regex, Pattern.MULTILINE).matcher(output).results().count();
    }

    private static int port(Jar.Proc p) throws InterruptedException {
        Matcher m = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(p.await("listening on http://127.0.0.1:", 60));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    /** Stops micros as Ctrl-C would and returns all it printed. */
    private static String stop(Jar.Proc p) throws Exception {
        p.signal("TERM");
        p.waitFor(30);
        Thread.sleep(50); // the reader's last lines
        return p.output();
    }

    @Test
    void aLegacyPythonMicroThatFailsToImportShowsItsOwnTraceOnce() throws Exception {
        Apps.require("python3");
        Files.createDirectories(dir.resolve("api"));
        Files.writeString(dir.resolve("api/main.py"), "import helper\napp = helper.make()\n");
        Files.writeString(dir.resolve("api/helper.py"), "import no_such_module_for_micros\n");
        spacefile("  - name: api\n    src: api\n    engine: python3.9\n    primary: true\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check");
        String out = r.out();
        assertEquals(1, r.exit(), out);
        assertEquals(1, count(out, "^\\S+ api +\\| Traceback \\(most recent call last\\):$"), out);
        assertEquals(1, count(out, "^\\S+ api +\\| ModuleNotFoundError: No module named 'no_such_module_for_micros'$"), out);
        assertTrue(out.contains("main.py\", line 1, in <module>") && out.contains("helper.py\", line 1, in <module>"), "the app's own frames:\n" + out);
        assertFalse(out.contains("python_launcher.py") || out.contains("importlib") || out.contains("<frozen"), "no frame of micros' launcher or of importlib:\n" + out);
        assertTrue(out.contains("micros | api: failed to start: exited with code 1 before listening on its PORT: ModuleNotFoundError: No module named 'no_such_module_for_micros'\n"),
                "one line names the error; the trace is not repeated:\n" + out);
    }

    @Test
    void aLegacyNodeMicroThatFailsToLoadShowsItsOwnStackOnce() throws Exception {
        Apps.require("node");
        Files.createDirectories(dir.resolve("api"));
        Files.writeString(dir.resolve("api/index.js"), "const helper = require(\"./helper\");\nmodule.exports = helper.make();\n");
        Files.writeString(dir.resolve("api/helper.js"), "const missing = require(\"no-such-module-for-micros\");\nexports.make = () => missing();\n");
        spacefile("  - name: api\n    src: api\n    engine: nodejs16\n    primary: true\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check");
        String out = r.out();
        assertEquals(1, r.exit(), out);
        assertEquals(1, count(out, "^\\S+ api +\\| Error: Cannot find module 'no-such-module-for-micros'$"), out);
        assertTrue(out.contains("helper.js:1:") && out.contains("index.js:1:"), "the app's own frames:\n" + out);
        assertFalse(out.contains("node_launcher.js") || out.contains("deta-library") || out.contains("node:internal"),
                "no frame of micros' launcher, its deta library, or Node's module loader:\n" + out);
        assertTrue(out.contains("micros | api: failed to start: exited with code 1 before listening on its PORT: Error: Cannot find module 'no-such-module-for-micros'\n"),
                "one line names the error; the stack is not repeated:\n" + out);
    }

    /** A Python micro that writes next to its code, prints the error, and answers 500; each request tries again. */
    private void writerApp() throws Exception {
        Files.createDirectories(dir.resolve("api"));
        Files.writeString(dir.resolve("api/app.py"), """
                import os, sys
                from http.server import BaseHTTPRequestHandler, HTTPServer
                class H(BaseHTTPRequestHandler):
                    def do_GET(self):
                        try:
                            open("written.txt", "w").close()
                            self.send_response(200)
                        except OSError as e:
                            print("could not save: %s" % e, file=sys.stderr, flush=True)
                            self.send_response(500)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    def log_message(self, *args):
                        pass
                HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
                """);
        spacefile("  - name: api\n    src: api\n    engine: custom\n    run: python3 app.py\n    primary: true\n");
    }

    @Test
    void aWriteToTheReadOnlyFolderSaysOnceThatOnlyTmpIsWritable() throws Exception {
        Apps.require("python3");
        Assumptions.assumeTrue(Sandbox.detect(true, 8L << 20, null).on(), "needs the sandbox (its read-only filesystem) here");
        writerApp();
        try (Jar.Proc p = Jar.start(dir, Map.of(), "run", "--port", "0", "--public")) {
            int port = port(p);
            assertEquals(500, Http.get(port, "/").status());
            assertEquals(500, Http.get(port, "/").status());
            String out = stop(p);
            assertEquals(2, count(out, "^\\S+ api +\\| could not save: \\[Errno 30\\] Read-only file system: 'written.txt'$"), out);
            assertEquals(1, count(out, "^\\S+ micros +\\| api: a write outside /tmp failed \\(read-only file system\\): on Space only /tmp was writable"), out);
        }
    }

    @Test
    void aStopIsMicrosOwnAndTheSandboxAddsNoTerminatedLine() throws Exception {
        Apps.require("python3");
        writerApp();
        try (Jar.Proc p = Jar.start(dir, Map.of(), "run", "--port", "0", "--public")) {
            int port = port(p);
            Http.get(port, "/");
            String out = stop(p);
            assertTrue(out.contains("micros | api: stopping (micros is shutting down): micros sends it SIGTERM, then SIGKILL after 5s"), out);
            assertEquals(0, count(out, "^\\S+ api +\\| (Terminated|Killed)$"), "the sandbox's shell reports nothing of its own:\n" + out);
        }
    }

    @Test
    void oneOutOfMemoryKillMakesOneLine() throws Exception {
        Apps.require("node", "python3");
        Limiter probe = Limiter.detect(RunConfig.Limits.SPACE, System.getenv(), w -> { });
        probe.close();
        Assumptions.assumeTrue(probe.mode() != Limiter.Mode.NONE, "the memory limit needs cgroups here: " + probe.reason());
        Path app = Apps.copy("limits", dir);
        try (Jar.Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public", "--memory", "64M")) {
            int port = port(p);
            assertEquals(200, Http.get(port, "/hog/pid").status());
            Http.Response killed = Http.get(port, "/hog/alloc?mb=200");
            assertEquals(502, killed.status(), killed.text());
            int status = 0;
            for (int i = 0; i < 100 && status != 200; i++) { // it starts again once micros has seen it end
                status = Http.get(port, "/hog/pid").status();
                if (status != 200) Thread.sleep(100);
            }
            assertEquals(200, status, "it starts again");
            String out = stop(p);
            assertEquals(1, count(out, "out of memory|^\\S+ hog +\\| (Killed|Terminated)$"), out);
            assertEquals(1, count(out, "^\\S+ micros +\\| hog: instance \\d+ was killed: out of memory \\(64 MiB limit\\); the next request starts it again$"), out);
        }
    }
}
