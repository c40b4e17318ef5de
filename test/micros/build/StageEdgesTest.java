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
import micros.support.Http;
import micros.support.Jar;
import micros.util.Json;

/**
 * The stage at its edges, through the jar: a Deta Cloud micro's upload follows its .detaignore,
 * as the deta CLI's did; no uid outside a micro's namespace reaches its stage; links to files
 * elsewhere in the project are staged as those files, links out of the project left out; the
 * build folders of micros gone from the Spacefile are removed. Apps live under /var/tmp: a
 * sandboxed micro does not see the real /tmp.
 */
class StageEdgesTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory(Path.of("/var/tmp"), "micros-stage-edges-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (dir == null) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
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

    private static Running run(Path project) throws Exception {
        Jar.Proc p = Jar.start(project, Map.of(), "run", "--port", "0", "--public");
        String ready = p.await("is listening on", 60);
        return new Running(p, Integer.parseInt(ready.replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1")));
    }

    /** A Python micro that answers with the files of its folder, relative to it. */
    private static final String LISTS_ITS_FILES = String.join("\n",
            "import json, os",
            "def files(environ, start_response):",
            "    found = sorted(os.path.relpath(os.path.join(d, f), '.') for d, _, fs in os.walk('.') for f in fs)",
            "    start_response('200 OK', [('Content-Type', 'application/json')])",
            "    return [json.dumps(found).encode()]", "");

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    }

    /** A node micro that answers with its uid and, for each file named in PROBE, "read" or the error's code. */
    private void probingMicro(String src, List<String> probe) throws IOException {
        write(src + "/server.js", String.join("\n",
                "const fs = require('fs');",
                "const seen = {};",
                "for (const p of " + Json.quote(String.join("\n", probe)) + ".split('\\n')) { try { seen[p] = fs.readFileSync(p, 'utf8'); } catch (e) { seen[p] = e.code; } }",
                "require('http').createServer((req, res) => res.end(JSON.stringify({uid: process.getuid(), seen}))).listen(process.env.PORT, '127.0.0.1');", ""));
    }

    /** Runs {@code argv} as uid:uid with no groups (setpriv), and returns its exit code and output. */
    private static String as(long uid, String... argv) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--"));
        cmd.addAll(List.of(argv));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        return p.waitFor() + " " + out.strip();
    }

    /** A uid no account has and no process runs as (not one micros gives: those count up from 900000). */
    private static long unusedUid() throws IOException {
        String passwd = Files.readString(Path.of("/etc/passwd")), group = Files.readString(Path.of("/etc/group"));
        for (long uid = 1_999_000_000L + ProcessHandle.current().pid() % 1000; ; uid++)
            if (!passwd.contains(":" + uid + ":") && !group.contains(":" + uid + ":")) return uid;
    }

    @Test
    void noUidOutsideTheMicrosNamespaceReachesItsStage() throws Exception {
        Assumptions.assumeTrue(isRoot(), "as root only: micros then runs each micro as a uid of its own");
        Apps.require("node");
        probingMicro("api", List.of("open.txt", "private.txt"));
        write("api/open.txt", "readable by anyone who reaches it\n");
        write("api/private.txt", "the owner's 0600 file\n");
        Files.setPosixFilePermissions(dir.resolve("api/private.txt"), PosixFilePermissions.fromString("rw-------"));
        write("Spacefile", "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: nodejs16\n    run: node server.js\n    primary: true\n");
        Path staged = dir.resolve(".micros/build/api/app");
        try (Running r = run(dir)) {
            Http.Response res = Http.get(r.port(), "/");
            assertEquals(200, res.status(), res.text() + "\n" + r.proc().output());
            Map<String, Object> body = Json.object(res.text());
            @SuppressWarnings("unchecked")
            Map<String, Object> seen = (Map<String, Object>) body.get("seen");
            assertEquals("readable by anyone who reaches it\n", seen.get("open.txt"), "the micro reads its stage: " + seen);
            assertEquals("the owner's 0600 file\n", seen.get("private.txt"), "the micro reads its stage: " + seen);
            long micro = ((Number) body.get("uid")).longValue();
            // another app's micro that gets this uid later (uids are reused across runs), and any other uid, outside the namespace
            for (long uid : List.of(micro, unusedUid()))
                for (String file : List.of("open.txt", "private.txt")) {
                    String got = as(uid, "cat", staged.resolve(file).toString());
                    assertFalse(got.startsWith("0 "), "uid " + uid + " read the staged " + file + " from outside the micro's namespace: " + got);
                }
            assertFalse(as(unusedUid(), "ls", dir.resolve(".micros/build").toString()).startsWith("0 "), "another uid lists the stages");
        }
    }

    @Test
    void aLinkToAFileOfTheProjectIsStagedAsThatFileAndALinkOutOfItIsLeftOutWithAWarning() throws Exception {
        Apps.require("node");
        write("shared/greeting.txt", "hello from shared\n");
        write("shared/.env", "TOKEN=secret-of-the-project\n");
        write("common/a.txt", "a folder beside the micro's\n");
        probingMicro("api", List.of("greeting.txt", "env", "hostname", "common/a.txt"));
        Files.createSymbolicLink(dir.resolve("api/greeting.txt"), Path.of("../shared/greeting.txt"));
        Files.createSymbolicLink(dir.resolve("api/env"), Path.of("../shared/.env")); // Space's default list leaves .env out wherever it is
        Files.createSymbolicLink(dir.resolve("api/hostname"), Path.of("/etc/hostname"));
        Files.createSymbolicLink(dir.resolve("api/common"), Path.of("../common"));
        write("Spacefile", "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: nodejs16\n    run: node server.js\n    primary: true\n");
        try (Running r = run(dir)) {
            Http.Response res = Http.get(r.port(), "/");
            assertEquals(200, res.status(), res.text() + "\n" + r.proc().output());
            @SuppressWarnings("unchecked")
            Map<String, Object> seen = (Map<String, Object>) Json.object(res.text()).get("seen");
            assertEquals("hello from shared\n", seen.get("greeting.txt"), "the link's file, as space push uploaded it: " + seen);
            assertFalse(String.valueOf(seen.get("env")).contains("secret"), "a link never brings in what Space leaves out: " + seen);
            assertEquals("ENOENT", seen.get("hostname"), "a link out of the project is left out: " + seen);
            assertEquals("ENOENT", seen.get("common/a.txt"), seen.toString());
            String out = r.proc().output();
            assertEquals(1, count(out, "its link hostname leads out of the project (to /etc/hostname)"), "one warning naming it:\n" + out);
            assertEquals(1, count(out, "its link common leads to a folder outside its own (../common)"), out);
            assertFalse(Files.exists(dir.resolve(".micros/build/api/app/hostname"), java.nio.file.LinkOption.NOFOLLOW_LINKS), "never staged");
        }
    }

    @Test
    void theBuildFolderOfAMicroGoneFromTheSpacefileIsRemovedAtStart() throws Exception {
        Apps.require("python3");
        write("one/main.py", LISTS_ITS_FILES + "app = files\n");
        write("two/main.py", LISTS_ITS_FILES + "app = files\n");
        String one = "  - name: one\n    src: one\n    engine: python3.9\n    primary: true\n";
        write("Spacefile", "v: 0\nmicros:\n" + one + "  - name: two\n    src: two\n    engine: python3.9\n");
        Jar.Result both = Jar.run(dir, Map.of(), "check");
        assertEquals(0, both.exit(), both.all());
        assertTrue(Files.isDirectory(dir.resolve(".micros/build/two/app")), both.all());
        write("Spacefile", "v: 0\nmicros:\n" + one);
        Jar.Result after = Jar.run(dir, Map.of(), "check");
        assertEquals(0, after.exit(), after.all());
        assertFalse(Files.exists(dir.resolve(".micros/build/two")), "micro two's stage outlived it:\n" + after.all());
        assertTrue(Files.isDirectory(dir.resolve(".micros/build/one/app")));
        assertEquals(1, count(after.out(), "builds: removed the build folder of two, no longer in the Spacefile"), after.all());
        Jar.Result again = Jar.run(dir, Map.of(), "check");
        assertFalse(again.out().contains("removed the build folder"), "said once, when it goes: " + again.all());
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }

    @Test
    void aDetaCloudMicroRunsWhatItsDetaignoreLetThroughAsTheDetaCliDid() throws Exception {
        Apps.require("python3");
        write(".deta/prog_info", "{\"id\":\"1\",\"space\":1,\"runtime\":\"python3.9\",\"name\":\"lister\",\"path\":\"lister\",\"project\":\"p\","
                + "\"account\":\"1\",\"region\":\"eu-central-1\",\"deps\":[],\"envs\":[],\"public\":true,\"log_level\":\"debug\",\"cron\":\"\"}");
        write("main.py", LISTS_ITS_FILES + "from deta import App\napp = App(files)\n");
        write(".detaignore", "^notes/\n");
        write("notes/draft.txt", "left out by .detaignore\n");
        write(".secret", "a dotfile: the deta CLI left it out\n");
        write("dist/bundle.js", "in Space's default list, not in the deta CLI's: deployed\n");
        try (Running r = run(dir)) {
            Http.Response res = Http.get(r.port(), "/");
            assertEquals(200, res.status(), res.text() + "\n" + r.proc().output());
            @SuppressWarnings("unchecked")
            List<Object> files = (List<Object>) Json.parse(res.text());
            assertTrue(files.contains("main.py") && files.contains(".detaignore"), files.toString());
            assertTrue(files.contains("dist/bundle.js"), "the deta CLI deployed dist/: " + files);
            assertFalse(files.contains("notes/draft.txt"), "its .detaignore left it out: " + files);
            assertFalse(files.contains(".secret"), "the deta CLI left dotfiles out: " + files);
            assertFalse(files.stream().anyMatch(f -> f.toString().startsWith(".deta/")), "prog_info was never deployed: " + files);
        }
    }
}
