package micros.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.util.Json;

/**
 * Micros run what Space would have uploaded and built (issue 25), through the jar with real npm
 * and pip, offline: the staged upload, builds from source in it, what a build sees and cannot
 * touch, failed builds, frameworks' starts, private project folders, and the owner's folder left
 * byte for byte as it was. Apps live under /var/tmp: a sandboxed micro does not see the real /tmp.
 */
class StageTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory(Path.of("/var/tmp"), "micros-stage-test");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (dir == null) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    }

    private void write(String path, String text) throws IOException {
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    /** Starts `run` on a free port and returns it with its port, once it listens. */
    private record Running(Jar.Proc proc, int port) implements AutoCloseable {
        @Override
        public void close() {
            proc.close();
        }
    }

    private static Running run(Path project, Map<String, String> env) throws Exception {
        Jar.Proc p = Jar.start(project, env, "run", "--port", "0", "--public");
        String ready = p.await("is listening on", 60);
        p.await("Press Ctrl-C to stop.", 10); // the banner whole: its micro lines say how each starts
        return new Running(p, Integer.parseInt(ready.replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1")));
    }

    @Test
    void aMicroSeesItsUploadAloneNotDotEnvNorWhatItsSpaceignoreLeavesOut() throws Exception {
        Apps.require("node");
        write("api/server.js", String.join("\n",
                "const fs = require('fs');",
                "const probe = JSON.parse(process.env.PROBE);",
                "const seen = {};",
                "for (const p of probe) { try { fs.readFileSync(p); seen[p] = 'read'; } catch (e) { seen[p] = e.code; } }",
                "require('http').createServer((req, res) => res.end(JSON.stringify({cwd: process.cwd(), seen}))).listen(process.env.PORT, '127.0.0.1');", ""));
        write("api/data.txt", "uploaded\n");
        write("api/.env", "TOKEN=stale-from-a-dot-env\n");
        write("api/notes/secret.txt", "left out by .spaceignore\n");
        write("api/.spaceignore", "secret.txt\n");
        write("api/.git/config", "[core]\n");
        write("other/private.txt", "another folder of the project\n");
        List<String> probe = List.of("data.txt", ".env", "notes/secret.txt", ".git/config", dir.resolve("api/.env").toString(),
                dir.resolve("api/data.txt").toString(), dir.resolve("other/private.txt").toString(), dir.resolve(".micros/project-key").toString());
        write("Spacefile", "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: nodejs16\n    run: node server.js\n    primary: true\n"
                + "    presets:\n      env:\n        - name: PROBE\n          default: '" + json(probe) + "'\n");
        try (Running r = run(dir, Map.of())) {
            Http.Response res = Http.get(r.port(), "/");
            assertEquals(200, res.status(), res.text() + "\n" + r.proc().output());
            Map<String, Object> body = Json.object(res.text());
            assertEquals(dir.resolve(".micros/build/api/app").toString(), body.get("cwd"), "it runs in its stage");
            @SuppressWarnings("unchecked")
            Map<String, Object> seen = (Map<String, Object>) body.get("seen");
            assertEquals("read", seen.get("data.txt"), "what Space uploaded is there: " + seen);
            for (String hidden : probe.subList(1, probe.size()))
                assertNotEquals("read", seen.get(hidden), hidden + " was never uploaded, or is the owner's folder: the micro must not read it: " + seen);
        }
    }

    @Test
    void aCommittedBuildFolderIsBuiltAgainFromSourceAndTheOwnersFolderIsUntouched() throws Exception {
        Apps.require("node", "npm");
        write("web/package.json", "{\"name\": \"web\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"node make.js\"}}\n");
        write("web/make.js", "const fs = require('fs'); fs.mkdirSync('build'); fs.writeFileSync('build/index.html', 'fresh from source');\n");
        write("web/build/index.html", "a stale committed build");
        write("Spacefile", "v: 0\nmicros:\n  - name: web\n    src: web\n    engine: react\n    primary: true\n");
        Map<String, String> before = snapshot(dir);
        try (Running r = run(dir, Map.of())) {
            Http.Response res = Http.get(r.port(), "/");
            assertEquals("fresh from source", res.text(), r.proc().output());
        }
        assertEquals(before, snapshot(dir), "the owner's folder changed");
    }

    @Test
    void aBuildSeesTheProjectKeyTheDataHostsAndItsPresets() throws Exception {
        Apps.require("node", "npm");
        write("web/package.json", "{\"name\": \"web\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"node make.js\"}}\n");
        // as excalidraw's next build did: the app's module reaches Deta Base while it is built
        write("web/make.js", String.join("\n",
                "const fs = require('fs'), https = require('https');",
                "const key = process.env.DETA_PROJECT_KEY, host = process.env.DETA_BASE_HOST;",
                "const req = https.get({host: host.split(':')[0], port: host.split(':')[1], path: '/v1/' + key.split('_')[0] + '/drawings/items/none',",
                "    headers: {'X-API-Key': key}}, res => {",
                "  fs.mkdirSync('build');",
                "  fs.writeFileSync('build/env.json', JSON.stringify({key, host, base: res.statusCode, api: process.env.API_URL, uid: process.getuid(),",
                "      certFile: fs.existsSync(process.env.SSL_CERT_FILE || '-'), certDir: process.env.SSL_CERT_DIR || null}));",
                "  fs.writeFileSync('build/index.html', 'built');",
                "  res.resume();",
                "});",
                "req.on('error', e => { console.error('cannot reach Deta Base: ' + e.message); process.exit(1); });", ""));
        write("Spacefile", "v: 0\nmicros:\n  - name: web\n    src: web\n    engine: react\n    primary: true\n"
                + "    presets:\n      env:\n        - name: API_URL\n          default: https://api.example.test\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check", "--expect", "/ 200");
        assertEquals(0, r.exit(), r.all());
        Map<String, Object> env = Json.object(Files.readString(dir.resolve(".micros/build/web/app/build/env.json")));
        assertEquals(Files.readString(dir.resolve(".micros/project-key")).strip(), env.get("key"), "the build has the app's project key");
        assertEquals(404L, ((Number) env.get("base")).longValue(), "the build reached Deta Base over HTTPS with the key (a missing item: 404): " + env);
        assertEquals("https://api.example.test", env.get("api"), "the build has the micro's presets");
        assertEquals(true, env.get("certFile"), "the build's SSL_CERT_FILE names a file it reads (micros' CA): " + env);
        assertEquals(micros.data.DataServer.caEnv(dir.resolve("bundle.pem")).get("SSL_CERT_DIR"), env.get("certDir"), "and SSL_CERT_DIR the system's CAs, as a micro's: " + env);
        if (isRoot()) assertNotEquals(0L, ((Number) env.get("uid")).longValue(), "as root, a build runs as the micro's own uid");
        assertFalse(r.out().contains(env.get("key").toString()), "the key is never logged");
    }

    @Test
    void anInstallScriptCannotWriteEtcReadMicrosCaKeyOrTouchTheOwnersFolder() throws Exception {
        Assumptions.assumeTrue(isRoot(), "as root only: builds then run as the micro's own uid in a view of their own");
        Apps.require("node", "npm");
        Path caKey = micros.data.tls.LocalCa.defaultDir().resolve("server-key.pem");
        String etc = "/etc/micros-stage-probe-" + System.nanoTime();
        List<String[]> tries = List.of(new String[] {"write", etc}, new String[] {"read", caKey.toString()},
                new String[] {"read", dir.resolve(".micros/project-key").toString()}, new String[] {"write", dir.resolve("api/written-by-a-build").toString()},
                new String[] {"write", dir.resolve(".micros/build/api/build.stamp").toString()}, new String[] {"read", dir.resolve("api/index.js").toString()},
                new String[] {"read", "index.js"}, new String[] {"write", "written-in-the-stage"});
        StringBuilder probe = new StringBuilder("const fs = require('fs'); const out = {uid: process.getuid()};\n");
        for (String[] t : tries)
            probe.append("try { ").append(t[0].equals("write") ? "fs.writeFileSync(" + json(t[1]) + ", 'x')" : "fs.readFileSync(" + json(t[1]) + ")")
                    .append("; out[").append(json(t[0] + " " + t[1])).append("] = 'ok'; } catch (e) { out[").append(json(t[0] + " " + t[1])).append("] = e.code; }\n");
        probe.append("fs.writeFileSync('probe.json', JSON.stringify(out));\n");
        write("api/probe.js", probe.toString());
        write("api/package.json", "{\"name\": \"api\", \"version\": \"1.0.0\", \"scripts\": {\"postinstall\": \"node probe.js\"}}\n");
        write("api/index.js", "module.exports = (req, res) => res.end('api');\n");
        write("Spacefile", "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: nodejs16\n    primary: true\n");
        Map<String, String> before = snapshot(dir);
        Jar.Result r = Jar.run(dir, Map.of(), "check", "--expect", "/ 200");
        assertEquals(0, r.exit(), r.all());
        assertTrue(Files.exists(caKey), "the run made micros' CA: " + caKey);
        Map<String, Object> seen = Json.object(Files.readString(dir.resolve(".micros/build/api/app/probe.json")));
        assertNotEquals(0L, ((Number) seen.get("uid")).longValue(), "the install script ran as root: " + seen);
        for (String[] t : tries.subList(0, 6)) assertNotEquals("ok", seen.get(t[0] + " " + t[1]), t[0] + " " + t[1] + " must fail: " + seen);
        for (String[] t : tries.subList(6, 8)) assertEquals("ok", seen.get(t[0] + " " + t[1]), "a build reads and writes its own stage: " + seen);
        assertFalse(Files.exists(Path.of(etc)), "an install script wrote " + etc);
        assertEquals(before, snapshot(dir), "the owner's folder changed");
    }

    @Test
    void aFailedBuildIsNeverTakenAsDoneAndLeavesNoOutput() throws Exception {
        Apps.require("node", "npm");
        // it writes part of its output, then fails: on the next start it must not pass as built
        write("web/package.json", "{\"name\": \"web\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"node make.js\"}}\n");
        write("web/make.js", "const fs = require('fs'); fs.mkdirSync('dist'); fs.writeFileSync('dist/index.html', 'half'); console.error('the build broke'); process.exit(3);\n");
        write("Spacefile", "v: 0\nmicros:\n  - name: web\n    src: web\n    engine: vue\n    primary: true\n");
        for (int run = 1; run <= 2; run++) {
            Jar.Result r = Jar.run(dir, Map.of(), "check", "--expect", "/ 200");
            assertEquals(1, r.exit(), "run " + run + ":\n" + r.all());
            assertTrue(BuildStepTest.says(r, "web", "npm run build: failed with exit code"), "run " + run + " builds again:\n" + r.all());
            assertTrue(BuildStepTest.says(r, "web", "  the build broke"), "its last lines:\n" + r.all());
            assertTrue(r.out().matches("(?s).*web\\s+GET /\\s+200\\s+503.*"), r.all());
            assertFalse(Files.exists(dir.resolve(".micros/build/web/app/dist")), "the half-written output was kept");
            assertFalse(Files.exists(dir.resolve(".micros/build/web/build.stamp")), "a failed build was stamped as done");
        }
        assertFalse(Files.exists(dir.resolve("web/dist")));
    }

    @Test
    void svelteKitAndNuxtBuildsWithoutAStartScriptStartAsTheirBuildsDictate() throws Exception {
        Apps.require("node", "npm");
        String server = "require('http').createServer((req, res) => res.end('%s')).listen(process.env.PORT);\n";
        // adapter-node writes build/index.js (here to its 'out', 'server'); nuxt writes .output/server/index.mjs; neither has a start script
        write("kit/package.json", "{\"name\": \"kit\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"node make.js\"}}\n");
        write("kit/svelte.config.js", "import adapter from '@sveltejs/adapter-node';\nexport default { kit: { adapter: adapter({ out: 'server' }) } };\n");
        write("kit/make.js", "const fs = require('fs'); fs.mkdirSync('.svelte-kit'); fs.mkdirSync('server');\n"
                + "fs.writeFileSync('server/index.js', " + json(server.formatted("svelte-kit")) + ");\n");
        write("nuxt/package.json", "{\"name\": \"nuxt\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"node make.js\"}}\n");
        write("nuxt/make.js", "const fs = require('fs'); fs.mkdirSync('.output/server', {recursive: true});\n"
                + "fs.writeFileSync('.output/server/index.mjs', " + json("import { createRequire } from 'module'; const require = createRequire(import.meta.url);\n"
                + server.formatted("nuxt")) + ");\n");
        write("Spacefile", "v: 0\nmicros:\n  - name: kit\n    src: kit\n    engine: svelte-kit\n    primary: true\n"
                + "  - name: nuxt\n    src: nuxt\n    engine: nuxt\n    path: nuxt\n");
        try (Running r = run(dir, Map.of())) {
            assertTrue(r.proc().output().contains("node server (what adapter-node made)"), r.proc().output());
            assertTrue(r.proc().output().contains("node .output/server/index.mjs (what nuxt build made)"), r.proc().output());
            assertEquals("svelte-kit", Http.get(r.port(), "/").text(), r.proc().output());
            assertEquals("nuxt", Http.get(r.port(), "/nuxt/").text(), r.proc().output());
        }
    }

    @Test
    void aFrameworkBuildItCannotStartIsNamedWithWhatWasLookedFor() throws Exception {
        Apps.require("node", "npm");
        write("kit/package.json", "{\"name\": \"kit\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \"node -e \\\"require('fs').mkdirSync('.svelte-kit')\\\"\"}}\n");
        write("Spacefile", "v: 0\nmicros:\n  - name: kit\n    src: kit\n    engine: svelte-kit\n    primary: true\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check");
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.out().contains("micro 'kit': svelte-kit without 'run': its build has neither build/index.js (what adapter-node makes) nor a 'start' script in package.json"), r.all());
    }

    @Test
    void samplesDepsPassesCheckFromAPrivateFolderAndItsFolderStaysAsItWas() throws Exception {
        Apps.require("python3", "node", "npm");
        Path closed = Files.createDirectories(dir.resolve("home"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------")); // as /root, or a home on current Debian and Ubuntu
        Path app = copySample("deps", closed);
        Map<String, String> before = snapshot(app);
        Jar.Result r = Jar.run(app, Map.of(), "check");
        assertEquals(0, r.exit(), r.all());
        assertEquals(before, snapshot(app), "check wrote into the owner's folder");
        try (Running run = run(app, Map.of())) {
            assertEquals(200, Http.get(run.port(), "/py").status(), run.proc().output());
            assertEquals(200, Http.get(run.port(), "/node").status(), run.proc().output());
            assertEquals(200, Http.get(run.port(), "/").status(), run.proc().output());
        }
        assertEquals(before, snapshot(app), "run wrote into the owner's folder");
    }

    @Test
    void aBuildIsHeldToTheMicrosMemoryLimit() throws Exception {
        Assumptions.assumeTrue(isRoot(), "cgroups need root here");
        Apps.require("python3");
        write("site/index.html", "site\n");
        write("Spacefile", "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: .\n    primary: true\n"
                + "    commands:\n      - python3 -c \"b = b'x' * (300 << 20)\"\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check", "--memory", "64M");
        Assumptions.assumeFalse(r.out().contains("memory and processes not enforced"), "no cgroups here: " + r.out());
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains(": was killed: out of memory (64 MiB limit) after"), "the build step had the micro's memory limit:\n" + r.all());
    }

    @Test
    void aSpaceignoreThatLeavesOutEverythingIsOneSentence() throws Exception {
        write("site/index.html", "hello\n");
        write("site/.spaceignore", "*\n");
        write("Spacefile", "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: .\n    primary: true\n");
        Jar.Result r = Jar.run(dir, Map.of(), "check");
        assertTrue(BuildStepTest.says(r, "site", "its .spaceignore and Space's default ignore list leave out all "), r.all());
        assertTrue(r.out().contains("Space would have uploaded nothing"), r.all());
    }

    /** A JSON string, or an array of strings. */
    private static String json(Object v) {
        if (v instanceof List<?> l) return "[" + String.join(",", l.stream().map(StageTest::json).toList()) + "]";
        return Json.quote(v.toString());
    }

    /** Path (relative, '/'-separated) -> kind, size, mode, mtime and SHA-256 of every entry below {@code root} but micros' state folder. */
    static Map<String, String> snapshot(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                if (d.getFileName().toString().equals(".micros") && d.getParent().equals(root)) return FileVisitResult.SKIP_SUBTREE;
                // the project folder's own time moves when micros makes its state folder in it, the one thing it writes there
                out.put(root.relativize(d) + "/", "dir " + mode(d) + (d.equals(root) ? "" : " " + a.lastModifiedTime().toInstant()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                String what = a.isSymbolicLink() ? "link " + Files.readSymbolicLink(f)
                        : "file " + a.size() + " " + mode(f) + " " + a.lastModifiedTime().toInstant() + " " + sha256(f);
                out.put(root.relativize(f).toString(), what);
                return FileVisitResult.CONTINUE;
            }
        });
        return out;
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static String sha256(Path f) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** samples/deps as a fresh checkout has it: no installs, no state. */
    static Path copySample(String name, Path into) throws IOException {
        Path from = Path.of("samples", name).toAbsolutePath(), to = into.resolve(name);
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String rel = from.relativize(p).toString();
                if (rel.contains("node_modules") || rel.contains(".micros") || rel.contains("__pycache__")) continue;
                Path target = to.resolve(rel);
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        return to;
    }
}
