package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;

/**
 * The sandbox without root: micros itself runs as nobody (switched with setpriv), so it
 * builds each micro's read-only view inside an unprivileged user namespace.
 */
class UserNamespaceSandboxTest {
    static final List<String> AS_NOBODY = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--");
    @TempDir
    static Path dir;
    static Jar.Proc micros;
    static int port;
    static Path probe, code; // micro one's folder, and the stage it runs from (nobody's: the user micros runs as)

    @BeforeAll
    static void start() throws Exception {
        Apps.require("python3");
        Assumptions.assumeTrue(Sandbox.isRoot(), "switching to an unprivileged user needs root");
        Process userns = new ProcessBuilder(concat(AS_NOBODY, List.of("unshare", "-U", "-r", "-m", "true")))
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(userns.waitFor() == 0, "unprivileged user namespaces are not allowed here: "
                + new String(userns.getInputStream().readAllBytes()).trim());
        removeLeftovers();
        Path root = Apps.copy("sandbox", dir);
        probe = root.resolve("probe");
        code = root.resolve(".micros/build/one/app");
        chownToNobody(dir);
        micros = Jar.startAs(AS_NOBODY, root, Map.of("HOME", root.toString()), "run", "--port", "0", "--public", "--tmp", "8M");
        String line = micros.await("is listening on", 20);
        port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
    }

    /** What a failed earlier run may have written where the sandbox should have stopped it. */
    private static void removeLeftovers() throws Exception {
        for (String p : List.of("/var/tmp/micros-userns-test", "/dev/shm/micros-userns-test", "/micros-userns-test", "/tmp/userns-from-one")) Files.deleteIfExists(Path.of(p));
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new java.util.ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void chownToNobody(Path p) throws Exception {
        assertEquals(0, new ProcessBuilder("chown", "-R", "65534:65534", p.toString()).inheritIO().start().waitFor());
    }

    @AfterAll
    static void stop() throws Exception {
        removeLeftovers();
        if (micros == null) return;
        micros.signal("TERM");
        micros.waitFor(15);
    }

    private static Map<String, Object> get(String target) throws Exception {
        return SandboxTest.ask(port, target);
    }

    @Test
    void theStartUpOutputSaysWhichSandboxIsOn() throws Exception {
        micros.await("sandbox: read-only filesystem of the system, the interpreter and the micro's code only, private 8 MiB /tmp (tmpfs, counted in the memory limit), in a user namespace without capabilities", 5);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"CODE/written.txt", "/dev/shm/micros-userns-test", "/micros-userns-test"})
    void placesNobodyCouldWriteBecomeReadOnly(String path) throws Exception {
        // nobody owns its stage and the micro's root (made in micros' run folder): only the sandbox stops these
        SandboxTest.assertReadOnly(port, path.replace("CODE", code.toString()));
        assertNotEquals("ok", get("/one/write?path=" + probe.resolve("written.txt")).get("result"), "the project folder is not there");
        assertFalse(Files.exists(probe.resolve("written.txt")));
    }

    @Test
    void theHostsOtherFoldersAreNotThere() throws Exception {
        // open to all on the host, but not in the micro's root
        assertEquals("ENOENT", get("/one/write?path=/var/tmp/micros-userns-test").get("result"));
        assertFalse(Files.exists(Path.of("/var/tmp/micros-userns-test")));
        Path folder = Files.createDirectories(Path.of("/srv", "micros-userns-" + ProcessHandle.current().pid() + "-" + System.nanoTime()));
        try {
            Files.setPosixFilePermissions(folder, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path secret = Files.writeString(folder.resolve("secret.txt"), "not for micros\n");
            Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            assertEquals("ENOENT", get("/one/read?path=" + secret).get("result"), "a world-readable file in /srv");
            assertEquals("ok", get("/one/read?path=/etc/hosts").get("result"), "the system's files are there");
        } finally {
            new ProcessBuilder("rm", "-rf", folder.toString()).start().waitFor();
        }
    }

    @Test
    void tmpIsPrivateSizedAndWritable() throws Exception {
        assertEquals("ok", get("/one/touch?name=userns-from-one").get("result"));
        assertFalse(Files.exists(Path.of("/tmp/userns-from-one")), "the host's /tmp is untouched");
        @SuppressWarnings("unchecked")
        List<Object> two = (List<Object>) get("/two/ls-tmp").get("files");
        assertFalse(two.contains("userns-from-one"), two.toString());
        Map<String, Object> full = get("/one/fill?mb=16");
        assertEquals("ENOSPC", full.get("result"), full.toString());
    }

    @Test
    void aMicroCannotStopNameOrReadMicros() throws Exception {
        long pid = micros.process.pid(); // setpriv executes micros: the same process
        assertEquals("ESRCH", get("/one/kill?pid=" + pid + "&sig=19").get("result"), "SIGSTOP to micros");
        assertEquals("ESRCH", get("/one/kill?pid=" + pid + "&sig=9").get("result"));
        assertEquals("ENOENT", get("/one/read?path=/proc/" + pid + "/cmdline").get("result"));
        @SuppressWarnings("unchecked")
        List<Object> pids = (List<Object>) get("/one/pids").get("pids");
        assertTrue(pids.contains(1L) && pids.size() <= 4, "its own processes only: " + pids);
        assertEquals(200, Http.get(port, "/two/whoami").status(), "micros still answers");
        assertTrue(micros.process.isAlive());
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyReachableMountButTmpIsReadOnly() throws Exception {
        Map<String, List<Object>> visible = new java.util.LinkedHashMap<>(); // the later of two mounts at one place covers the earlier
        for (Object m : (List<Object>) get("/one/mounts").get("mounts")) visible.put((String) ((List<Object>) m).get(0), (List<Object>) m);
        for (List<Object> m : visible.values())
            assertEquals(!m.get(0).equals("/tmp"), List.of(((String) m.get(1)).split(",")).contains("ro"), m.toString());
    }

    @Test
    void theMicroHasNoCapabilitiesAndCannotRemount() throws Exception {
        Map<String, Object> who = get("/one/whoami");
        assertEquals("0000000000000000", who.get("capeff"));
        assertEquals("0000000000000000", who.get("capprm"));
        assertEquals("/tmp", who.get("home"));
        assertEquals(code.toString(), who.get("cwd"), "it runs in its stage");
        assertNotEquals(0L, get("/one/remount").get("code"));
        assertTrue(micros.process.isAlive());
    }
}
