package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.Procs;
import micros.util.Json;

/**
 * What `ps` and the start-up lines say about each sandboxed micro, through the real jar (as
 * root): short command lines naming the micro, and the uid each micro really runs as (read
 * from the micro itself: other micros runs may hold the first free uids).
 */
class SandboxLinesTest {
    @TempDir
    Path dir;

    @BeforeEach
    void root() {
        Apps.require("python3");
        Sandbox s = Sandbox.detect(true, 8L << 20, Sandbox.defaultUser());
        Assumptions.assumeTrue(s.mode() == Sandbox.Mode.ROOT, "needs the sandbox as root here: " + (s.on() ? "running without root" : s.reason()));
    }

    private static int port(Jar.Proc p) throws InterruptedException {
        Matcher m = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(p.await("listening on http://127.0.0.1:", 60));
        assertTrue(m.find());
        return Integer.parseInt(m.group(1));
    }

    private static Map<String, Object> whoami(int port, String micro) throws Exception {
        Http.Response r = Http.get(port, "/" + micro + "/whoami");
        assertEquals(200, r.status(), r.text());
        return Json.object(r.text());
    }

    private static String cmdline(long pid) throws Exception {
        return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').strip();
    }

    private static long parent(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
            if (line.startsWith("PPid:")) return Long.parseLong(line.substring(5).strip());
        return 0;
    }

    @Test
    void psShowsAShortCommandLineNamingTheMicro() throws Exception {
        Path app = Apps.copy("sandbox", dir);
        try (Jar.Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public")) {
            int port = port(p);
            long micro = Procs.hostPid((Long) whoami(port, "one").get("pid"));
            assertTrue(micro > 0);
            List<String> chain = new ArrayList<>(); // from the micro up to micros' JVM
            for (long pid = micro; pid > 1 && pid != p.process.pid(); pid = parent(pid)) chain.add(cmdline(pid));
            for (String c : chain)
                assertTrue(c.length() < 200 && !c.contains("readonly_all"), "a short command line, not the sandbox's script:\n" + String.join("\n", chain));
            String sandbox = "/bin/sh /\\S+/micros-sandbox one /bin/sh -c python3 probe.py";
            assertTrue(chain.stream().anyMatch(c -> c.matches(sandbox)), "the namespaces' init names the micro:\n" + String.join("\n", chain));
            assertTrue(chain.stream().anyMatch(c -> c.matches("unshare .* " + sandbox)), "so does their holder:\n" + String.join("\n", chain));
            assertEquals("python3 probe.py", chain.get(0));
            String env = Files.readString(Path.of("/proc/" + micro + "/environ"), StandardCharsets.UTF_8);
            assertFalse(env.contains("MICROS_SANDBOX"), "the sandbox's settings do not reach the micro: " + env.replace('\0', '\n'));
        }
    }

    @Test
    void theInterpreterLineNamesTheUidEachMicroRunsAs() throws Exception {
        Path app = Apps.copy("sandbox", dir);
        // a python3 first on PATH that the micros' users cannot run: each line says who could not
        Path closed = Files.createDirectories(dir.resolve("closed"));
        Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwx------"));
        Files.createSymbolicLink(closed.resolve("python3"), Path.of("/usr/bin/python3"));
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs /usr/bin/python3");
        try (Jar.Proc p = Jar.start(app, Map.of("PATH", closed + ":/usr/bin:/bin"), "run", "--port", "0", "--public")) {
            int port = port(p);
            for (String micro : List.of("one", "two")) {
                long uid = (Long) whoami(port, micro).get("uid");
                String line = p.await(micro + "    | runs on Python ", 5);
                assertTrue(line.contains(" (/usr/bin/python3) as uid " + uid + "; Space ran Python 3.9; skipped " + closed.resolve("python3")
                        + " (uid " + uid + ", the user micros run as, cannot enter "), micro + " runs as uid " + uid + ":\n" + p.output());
            }
        }
    }
}
