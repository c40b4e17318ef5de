package micros.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import micros.support.Apps;
import micros.support.Jar;
import micros.support.Packages;

/**
 * Space's build step through the jar, with packages made by the test (no package index):
 * per-micro virtualenvs, npm installs, frontend builds, the cache, failures, --no-install.
 * Apps live under /var/tmp: a sandboxed micro does not see the real /tmp. The wheels are
 * outside the project folder, named by PIP_FIND_LINKS (a build's root keeps that folder); a
 * file: npm dependency is inside its micro's folder, as Space's upload had to hold it.
 */
class BuildStepTest {
    private Path dir, packages;
    private Map<String, String> pipEnv;

    @BeforeEach
    void setUp() throws Exception {
        Apps.require("python3");
        dir = Files.createTempDirectory(Path.of("/var/tmp"), "micros-build-test");
        packages = Files.createTempDirectory(Path.of("/var/tmp"), "micros-build-packages");
        for (Path d : List.of(dir, packages)) Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path wheels = packages.resolve("wheels");
        Packages.wheel(wheels, "tinydep", "1.0", "VERSION = '1.0'\n");
        Packages.wheel(wheels, "tinydep", "2.0", "VERSION = '2.0'\n");
        pipEnv = Map.of("PIP_NO_INDEX", "1", "PIP_FIND_LINKS", wheels.toString());
    }

    @AfterEach
    void tearDown() throws IOException {
        for (Path d : new Path[] {dir, packages}) {
            if (d == null) continue;
            try (Stream<Path> walk = Files.walk(d)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A legacy WSGI main.py that answers 200 only when tinydep has the wanted version. */
    private void pythonMicro(String name, String requirement, String wanted) throws IOException {
        Path src = Files.createDirectories(dir.resolve(name));
        if (requirement != null) Files.writeString(src.resolve("requirements.txt"), requirement + "\n");
        Files.writeString(src.resolve("main.py"), String.join("\n",
                "import tinydep",
                "def app(environ, start_response):",
                "    ok = tinydep.VERSION == '" + wanted + "'",
                "    start_response('200 OK' if ok else '500 Wrong Version', [('Content-Type', 'text/plain')])",
                "    return [('tinydep ' + tinydep.VERSION).encode()]", ""));
    }

    private void spacefile(String micros) throws IOException {
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n" + micros);
    }

    private static String micro(String name, String engine, String extra) {
        return "  - name: " + name + "\n    src: " + name + "\n    engine: " + engine + "\n    public: true\n" + extra;
    }

    /** Whether the output has a line "micro | text..." (names are padded to one width). */
    static boolean says(Jar.Result r, String micro, String text) {
        return java.util.regex.Pattern.compile("(?m)^\\S+ " + java.util.regex.Pattern.quote(micro) + " *\\| " + java.util.regex.Pattern.quote(text)).matcher(r.out()).find();
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }

    @Test
    void aLocalIndexWhosePagesLinkToFilesBesideThemInstalls() throws Exception {
        // as mirror tools lay a file: index out: pages in simple/, the wheels they link to in ../../files
        Path index = packages.resolve("index"), files = Files.createDirectories(index.resolve("files"));
        try (Stream<Path> wheels = Files.list(packages.resolve("wheels"))) {
            for (Path w : wheels.toList()) Files.copy(w, files.resolve(w.getFileName()));
        }
        StringBuilder page = new StringBuilder("<html><body>\n");
        try (Stream<Path> wheels = Files.list(files)) {
            for (Path w : wheels.sorted().toList()) page.append("<a href=\"../../files/").append(w.getFileName()).append("\">").append(w.getFileName()).append("</a>\n");
        }
        Files.writeString(Files.createDirectories(index.resolve("simple/tinydep")).resolve("index.html"), page + "</body></html>\n");
        pythonMicro("one", "tinydep==2.0", "2.0");
        spacefile(micro("one", "python3.9", "    primary: true\n"));
        Jar.Result r = Jar.run(dir, Map.of("PIP_INDEX_URL", index.resolve("simple").toUri().toString()), "check", "--expect", "/ 200");
        assertEquals(0, r.exit(), r.all());
    }

    @Test
    void twoPythonMicrosGetTheirOwnVersionsAndASecondStartInstallsNothing() throws Exception {
        pythonMicro("one", "tinydep==1.0", "1.0");
        pythonMicro("two", "tinydep==2.0", "2.0");
        // two has a run command: 'python' exists only in its virtualenv (Debian has python3 alone), which is first on its PATH
        Files.writeString(dir.resolve("two/serve.py"), String.join("\n",
                "import os, wsgiref.simple_server, main",
                "wsgiref.simple_server.make_server('127.0.0.1', int(os.environ['PORT']), main.app).serve_forever()", ""));
        spacefile(micro("one", "python3.9", "    primary: true\n") + micro("two", "python3.9", "    run: python serve.py\n"));
        Jar.Result first = Jar.run(dir, pipEnv, "check", "--expect", "/ 200", "--expect", "/two 200");
        assertEquals(0, first.exit(), first.all());
        assertEquals(2, count(first.out(), "| pip install -r requirements.txt: done in"), first.all());
        assertTrue(first.out().contains("Space ran Python 3.9"), first.all());
        assertTrue(Files.isDirectory(dir.resolve(".micros/build/one/venv")) && Files.isDirectory(dir.resolve(".micros/build/two/venv")));

        Path pipLog = dir.resolve(".micros/build/one/pip.log");
        long installedAt = Files.getLastModifiedTime(pipLog).toMillis();
        Jar.Result second = Jar.run(dir, pipEnv, "check", "--expect", "/ 200", "--expect", "/two 200");
        assertEquals(0, second.exit(), second.all());
        assertEquals(2, count(second.out(), "| requirements.txt: up to date"), second.all());
        assertFalse(second.out().contains("pip install"), "nothing changed, so pip must not run:\n" + second.all());
        assertEquals(installedAt, Files.getLastModifiedTime(pipLog).toMillis(), "pip's log was rewritten: pip ran again");

        Files.writeString(dir.resolve("one/requirements.txt"), "# changed\ntinydep==1.0\n");
        Jar.Result third = Jar.run(dir, pipEnv, "check", "--expect", "/ 200", "--expect", "/two 200");
        assertEquals(0, third.exit(), third.all());
        assertEquals(1, count(third.out(), "| pip install -r requirements.txt: done in"), "only the changed micro reinstalls:\n" + third.all());
    }

    @Test
    void aBrokenRequirementStopsOnlyThatMicroAndCheckNamesIt() throws Exception {
        pythonMicro("broken", "tinydep==9.9", "9.9");
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("site/index.html"), "fine\n");
        spacefile(micro("broken", "python3.9", "    primary: true\n") + micro("site", "static", "    serve: .\n"));
        Jar.Result r = Jar.run(dir, pipEnv, "check", "--expect", "/site/ 200", "--expect", "/ 200");
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains("| pip install -r requirements.txt: failed with exit code 1"), r.all());
        assertTrue(r.out().contains("tinydep==9.9"), "pip's own output is shown on failure:\n" + r.all());
        assertTrue(r.out().contains("| to rerun it by hand: cd " + dir.resolve(".micros/build/broken/app")), "it runs in the micro's stage:\n" + r.all());
        assertTrue(r.out().matches("(?s).*site\\s+GET /site/\\s+200.*ok.*"), "the other micro still runs:\n" + r.all());
        assertTrue(r.out().matches("(?s).*broken\\s+GET /\\s+200\\s+503.*"), "the broken micro answers 503:\n" + r.all());
        assertTrue(r.out().matches("(?s).*\\nbroken +install and build +.*fail \\(micro 'broken': its dependencies are not installed.*"), r.all());
    }

    @Test
    void aFailingFrontendBuildAnswers503AndCheckNamesIt() throws Exception {
        Apps.require("node", "npm");
        Path web = Files.createDirectories(dir.resolve("web"));
        Files.writeString(web.resolve("package.json"), "{\"name\": \"web\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"echo cannot build >&2; exit 3\"}}\n");
        spacefile(micro("web", "vue", ""));
        Jar.Result r = Jar.run(dir, Map.of(), "check", "--expect", "/ 200");
        assertEquals(1, r.exit(), r.all());
        assertTrue(says(r, "web", "npm run build: failed with exit code"), r.all());
        assertTrue(says(r, "web", "  cannot build"), "the build's own output is shown:\n" + r.all());
        assertTrue(r.out().matches("(?s).*web\\s+GET /\\s+200\\s+503.*"), r.all());
        assertTrue(r.out().matches("(?s).*\\nweb +install and build +.*fail \\(micro 'web': its frontend build failed.*"), r.all());
    }

    @Test
    void noInstallSkipsAndSaysWhat() throws Exception {
        pythonMicro("py", "tinydep==1.0", "1.0");
        spacefile(micro("py", "python3.9", ""));
        Jar.Result r = Jar.run(dir, pipEnv, "check", "--no-install");
        assertTrue(says(r, "py", "--no-install: requirements.txt not installed"), r.all());
        assertFalse(Files.exists(dir.resolve(".micros/build/py/venv")), "--no-install made a virtualenv");
        assertFalse(r.out().contains("pip install"), r.all());
    }

    @Test
    void aNodeMicroGetsItsDependencyAndReactAndNextMicrosAreBuiltByTheirBuildScripts() throws Exception {
        Apps.require("node", "npm");
        Path api = Files.createDirectories(dir.resolve("api"));
        // in the micro's own folder: a build sees its upload, nothing else of the owner's machine
        Path tgz = Files.move(Packages.npmTarball(packages, "tiny-node-dep", "'hello from tiny-node-dep'"), api.resolve("tiny-node-dep-1.0.0.tgz"));
        Files.writeString(api.resolve("package.json"), "{\"name\": \"api\", \"version\": \"1.0.0\", \"dependencies\": {\"tiny-node-dep\": \"file:" + tgz.getFileName() + "\"}}\n");
        Files.writeString(api.resolve("index.js"), "const dep = require('tiny-node-dep');\n"
                + "module.exports = (req, res) => { res.statusCode = dep === 'hello from tiny-node-dep' ? 200 : 500; res.end(dep); };\n");
        Path web = Files.createDirectories(dir.resolve("web"));
        Files.writeString(web.resolve("package.json"), "{\"name\": \"web\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"node build.js\"}}\n");
        Files.writeString(web.resolve("build.js"), "const fs = require('fs'); fs.mkdirSync('build'); fs.writeFileSync('build/index.html', 'built by npm run build');\n");
        // a next micro: built before 'npm run start' (which serves only what the build made)
        Path ssr = Files.createDirectories(dir.resolve("ssr"));
        Files.writeString(ssr.resolve("package.json"), "{\"name\": \"ssr\", \"version\": \"1.0.0\", \"scripts\": "
                + "{\"build\": \"node -e \\\"require('fs').mkdirSync('.next'); require('fs').writeFileSync('.next/page', 'server-rendered')\\\"\", \"start\": \"node server.js\"}}\n");
        Files.writeString(ssr.resolve("server.js"), "const port = process.argv[process.argv.indexOf('--port') + 1];\n"
                + "const page = require('fs').readFileSync('.next/page', 'utf8');\n"
                + "require('http').createServer((req, res) => res.end(page)).listen(port, '127.0.0.1');\n");
        spacefile(micro("web", "react", "    primary: true\n") + micro("api", "nodejs16", "") + micro("ssr", "next", ""));
        Jar.Result r = Jar.run(dir, Map.of(), "check", "--expect", "/api 200", "--expect", "/ 200", "--expect", "/ssr 200");
        assertEquals(0, r.exit(), r.all());
        assertTrue(says(r, "api", "npm install: done in"), r.all());
        assertTrue(r.out().contains("Space ran Node.js 16"), r.all());
        assertTrue(says(r, "web", "npm run build: done in"), r.all());
        Path stages = dir.resolve(".micros/build");
        assertEquals("built by npm run build", Files.readString(stages.resolve("web/app/build/index.html")));
        assertTrue(Files.isDirectory(stages.resolve("api/app/node_modules/tiny-node-dep")));
        assertTrue(says(r, "ssr", "npm run build: done in"), r.all());
        assertEquals("server-rendered", Files.readString(stages.resolve("ssr/app/.next/page")));
        for (Path made : List.of(web.resolve("build"), api.resolve("node_modules"), api.resolve("package-lock.json"), ssr.resolve(".next"), ssr.resolve("node_modules")))
            assertFalse(Files.exists(made), "the build wrote into the owner's folder: " + made);

        Jar.Result again = Jar.run(dir, Map.of(), "check", "--expect", "/api 200", "--expect", "/ 200", "--expect", "/ssr 200");
        assertEquals(0, again.exit(), again.all());
        assertTrue(again.out().contains("package.json: up to date"), again.all());
        assertFalse(again.out().contains("npm install") || again.out().contains("npm run build"), "nothing changed:\n" + again.all());
    }

    @Test
    void anInterpreterTheMicrosUserCannotRunIsPassedOver() throws Exception {
        Assumptions.assumeTrue(isRoot(), "as root only: micros then runs micros as unprivileged uids, which cannot enter a 0700 folder");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3, an interpreter every user can run");
        Path closed = Files.createDirectories(packages.resolve("closed"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Files.createSymbolicLink(closed.resolve("python3"), Path.of("/usr/bin/python3"));
        // the python3 first on PATH is in the closed folder, a runnable one comes later
        Path plain = Files.createDirectories(dir.resolve("plain"));
        Files.writeString(plain.resolve("main.py"), "import os\n"
                + "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [os.environ['PATH'].encode()]\n");
        spacefile(micro("plain", "python3.9", "    primary: true\n"));
        Jar.Result r = Jar.run(dir, Map.of("PATH", closed + ":/usr/bin:/bin"), "check", "--expect", "/ 200");
        assertEquals(0, r.exit(), r.all());
        assertTrue(says(r, "plain", "runs on Python 3.") && r.out().contains("(/usr/bin/python3) as uid ") && r.out().contains("; Space ran Python 3.9; skipped " + closed.resolve("python3"))
                        && r.out().contains("the user micros run as, cannot enter " + closed + ")"),
                "it says which interpreter runs and which it passed over:\n" + r.all());
        assertTrue(r.out().contains("| PATH for micros and their builds: left out " + closed + " (uid "), "it says once which folder PATH lost:\n" + r.all());
        assertEquals(1, count(r.out(), "PATH for micros and their builds: left out"), r.all());
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    }
}
