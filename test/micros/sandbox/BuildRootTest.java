package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import micros.support.Apps;
import micros.support.Jar;

/**
 * A build step's root holds what Space's builder container held: the system, the build's tools,
 * the micro's build folder; nothing else of the machine. A `commands` line (what an install
 * script could do too) tries to copy world-readable files of the host (another service's data
 * in /srv, a home, a neighbour project) into the micro's code, which the micro would then serve,
 * and to list the host's folders; and the build still runs, and the micro serves.
 */
class BuildRootTest {
    private final List<Path> made = new ArrayList<>();

    @AfterEach
    void clean() throws Exception {
        for (Path p : made) new ProcessBuilder("rm", "-rf", p.toString()).start().waitFor();
    }

    private Path folder(Path p) throws Exception {
        Files.createDirectories(p);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        made.add(p);
        return p;
    }

    private static Path secret(Path dir, String name) throws Exception {
        Path f = Files.writeString(dir.resolve(name), "neighbour-secret\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        return f;
    }

    @Test
    void aCommandsLineCannotReadNorListTheMachineAndTheBuildStillWorks() throws Exception {
        Apps.require("python3");
        Sandbox s = Sandbox.detect(true, 8L << 20, Sandbox.defaultUser());
        Assumptions.assumeTrue(s.mode() == Sandbox.Mode.ROOT, "builds run in a root of their own as root: " + (s.on() ? "running without root" : s.reason()));
        String unique = "micros-buildroot-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path srv = secret(folder(Path.of("/srv", unique)), "secret.txt");
        Path home = secret(folder(Path.of("/home", unique)), "secret.txt");
        Path opt = secret(folder(Path.of("/opt", unique)), "secret.txt");
        Path neighbour = secret(folder(Path.of("/var/tmp", unique + "-other")), ".env");
        Path app = folder(Path.of("/var/tmp", unique + "-app"));
        Path src = Files.createDirectories(app.resolve("a"));
        Files.writeString(src.resolve("main.py"), "import http.server, os\n"
                + "class H(http.server.BaseHTTPRequestHandler):\n"
                + "    def do_GET(self):\n"
                + "        body = open('built.txt', 'rb').read()\n"
                + "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)\n"
                + "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n");
        StringBuilder line = new StringBuilder("echo built > built.txt");
        int n = 0;
        for (Path f : List.of(srv, home, opt, neighbour)) line.append("; cat ").append(f).append(" > leak").append(n++).append(".txt 2>&1");
        for (String d : List.of("/home", "/srv", "/opt", "/var", "/var/tmp")) line.append("; ls -a ").append(d).append(" > list").append(d.replace('/', '-')).append(".txt 2>&1");
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: a\n    src: a\n    engine: python3.9\n    primary: true\n"
                + "    run: python3 main.py\n    commands:\n      - \"" + line + "\"\n");
        Map<String, String> env = new HashMap<>();
        env.put("PIP_FIND_LINKS", null); // no wheel folder of the owner's: what the root holds is the test's alone
        Jar.Result r = Jar.run(app, env, "check");
        assertEquals(0, r.exit(), "the build and the micro work in the build's root:\n" + r.all());
        Path stage = app.resolve(".micros/build/a/app");
        assertEquals("built\n", Files.readString(stage.resolve("built.txt")), r.all());
        for (int i = 0; i < 4; i++) {
            String leak = Files.readString(stage.resolve("leak" + i + ".txt"));
            assertFalse(leak.contains("neighbour-secret"), "a build step read a file of the machine:\n" + leak);
            assertTrue(leak.contains("No such file or directory"), "not even there for the build:\n" + leak);
        }
        for (String d : List.of("-home", "-srv")) {
            String list = Files.readString(stage.resolve("list" + d + ".txt"));
            assertTrue(list.contains("No such file or directory"), d + " was listed:\n" + list);
        }
        String optList = Files.readString(stage.resolve("list-opt.txt"));
        assertFalse(optList.contains(unique), "/opt was listed:\n" + optList);
        if (!toolsUnder(Path.of("/opt"))) assertTrue(optList.contains("No such file or directory"), "/opt was listed:\n" + optList);
        // /var holds the way to the build folder, and nothing else of the host's /var
        assertEquals(List.of(".", "..", "tmp"), Files.readString(stage.resolve("list-var.txt")).lines().toList());
        assertEquals(List.of(".", "..", app.getFileName().toString()), Files.readString(stage.resolve("list-var-tmp.txt")).lines().toList());
    }

    /** Whether a build tool on PATH lives below {@code dir} (then its installation is in the build's root). */
    private static boolean toolsUnder(Path dir) {
        for (String tool : List.of("node", "npm", "npx", "python3", "python", "pip", "pip3")) {
            for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
                Path f = Path.of(p.isEmpty() ? "." : p, tool);
                try {
                    if (Files.isExecutable(f) && (f.toRealPath().startsWith(dir) || f.startsWith(dir))) return true;
                } catch (java.io.IOException e) {
                    // not this one
                }
            }
        }
        return false;
    }
}
