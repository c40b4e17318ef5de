package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.runtime.RunConfig;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.util.Json;

/**
 * What a sandboxed micro may touch, tried from inside real micros (as root on our machines).
 * Other micros runs may share the machine: a uid is read from the micro or from micros'
 * output, never assumed (micros picks the next free ones).
 */
class SandboxTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static Path probe, code; // micro one's folder in the project, and the stage it runs from
    static final RunConfig.Sandboxing SMALL_TMP = new RunConfig.Sandboxing(true, 8L << 20, null);
    /** How micros names the uids it gave a run's micros, in its start-up line. */
    static final Pattern RUN_AS = Pattern.compile("micros run as (uid ([0-9]+) to uid ([0-9]+)|uids ([0-9]+), ([0-9]+)), one per micro,");

    @BeforeAll
    static void start() throws Exception {
        Apps.require("python3");
        Sandbox s = Sandbox.detect(true, 8L << 20, Sandbox.defaultUser());
        Assumptions.assumeTrue(s.mode() == Sandbox.Mode.ROOT, "the sandbox tests need root here: " + (s.on() ? "running without root" : s.reason()));
        Path root = Apps.copy("sandbox", dir);
        probe = root.resolve("probe");
        app = Apps.start(root, Apps.Options.defaults().sandbox(SMALL_TMP).limits(new RunConfig.Limits(Duration.ofSeconds(20), 256L << 20, 256, 1 << 20, true)));
        code = root.resolve(".micros/build/one/app");
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Map<String, Object> get(String target) throws Exception {
        return ask(app.port(), target);
    }

    /** A probe micro's JSON answer (the sandbox fixture's /one or /two). */
    static Map<String, Object> ask(int port, String target) throws Exception {
        Http.Response r = Http.get(port, target);
        assertEquals(200, r.status(), target + " -> " + r.text());
        return Json.object(r.text());
    }

    /** A write from inside micro "one" fails with EROFS, and nothing appears on the host. */
    static void assertReadOnly(int port, String path) throws Exception {
        assertEquals("EROFS", ask(port, "/one/write?path=" + path).get("result"), path);
        assertFalse(Files.exists(Path.of(path)), "nothing was written at " + path);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"CODE/written.txt", "/etc/micros-test", "/dev/shm/micros-test", "/micros-test"})
    void writesOutsideTmpFailWithAReadOnlyFilesystem(String path) throws Exception {
        assertReadOnly(app.port(), path.replace("CODE", code.toString()));
    }

    @Test
    void theHostsWritableFoldersAreNotThere() throws Exception {
        // open to all on the host, but not in the micro's root (see RootTest)
        assertEquals("ENOENT", get("/one/write?path=/var/tmp/micros-test").get("result"));
        assertFalse(Files.exists(Path.of("/var/tmp/micros-test")));
    }

    @Test
    void theProjectFolderIsNotThereForAMicro() throws Exception {
        assertEquals("ENOENT", get("/one/read?path=" + probe.resolve("probe.py")).get("result"), "the micro runs its stage, not the owner's folder");
        assertNotEquals("ok", get("/one/write?path=" + probe.resolve("written.txt")).get("result"));
        assertFalse(Files.exists(probe.resolve("written.txt")));
    }

    @Test
    void tmpTakesWritesUpToItsSizeThenNoSpace() throws Exception {
        assertEquals("ok", get("/one/write?path=/tmp/small").get("result"));
        Map<String, Object> full = get("/one/fill?mb=16");
        assertEquals("ENOSPC", full.get("result"), full.toString());
        long size = (Long) full.get("size");
        // all of it is the micro's: ext4's own metadata and reserve do not come out of --tmp (the small file takes a block)
        assertTrue(size >= (8L << 20) - (128 << 10) && size <= (8L << 20), "stopped at the 8 MiB size: " + size);
    }

    @Test
    void microsRunUnprivilegedWithTheirHomeInTmp() throws Exception {
        Map<String, Object> who = get("/one/whoami");
        long uid = (Long) who.get("uid");
        assertTrue(uid >= MicroUsers.AUTO_BASE, "a uid of micros' own: " + uid);
        assertEquals(uid, who.get("euid"));
        String summary = app.emulator.runtime().sandbox().summary();
        Matcher m = RUN_AS.matcher(summary);
        assertTrue(m.find() && (Long.toString(uid).equals(m.group(2)) || Long.toString(uid).equals(m.group(4))),
                "micro one runs as the first uid micros names: " + uid + " in " + summary);
        assertEquals("0000000000000000", who.get("capeff"));
        assertEquals("0000000000000000", who.get("capprm"));
        assertEquals("/tmp", who.get("home"));
        assertEquals("/tmp", who.get("tmpdir"));
        assertEquals(code.toString(), who.get("cwd"), "it starts in its stage: relative paths keep working");
    }

    @Test
    void aNamedUserRunsTheFirstMicroAsItself(@TempDir Path other) throws Exception {
        // one process micro only: 'nobody' is used as it is, and no uid after it that another run could hold
        Path root = Apps.copy("sandbox", other);
        Files.writeString(root.resolve("Spacefile"), "v: 0\nmicros:\n  - name: one\n    src: probe\n    engine: python3.9\n    run: python3 probe.py\n");
        try (Apps.Running nobody = Apps.start(root, Apps.Options.defaults().sandbox(new RunConfig.Sandboxing(true, 8L << 20, "nobody")))) {
            Map<String, Object> who = ask(nobody.port(), "/whoami");
            assertEquals(65534L, who.get("uid"));
            assertEquals(65534L, who.get("euid"));
        }
    }

    @Test
    void aMicroCannotRemountOrLeaveItsCgroup() throws Exception {
        Map<String, Object> remount = get("/one/remount");
        assertNotEquals(0L, remount.get("code"), remount.toString());
        Map<String, Object> escape = get("/one/escape-cgroup");
        assertNotEquals("ok", escape.get("parent"), escape.toString());
        assertNotEquals("ok", escape.get("root"), escape.toString());
    }

    @Test
    void twoMicrosDoNotSeeEachOthersTmp() throws Exception {
        assertEquals("ok", get("/one/touch?name=from-one").get("result"));
        @SuppressWarnings("unchecked")
        List<Object> two = (List<Object>) get("/two/ls-tmp").get("files");
        assertFalse(two.contains("from-one"), two.toString());
    }

    @Test
    void tmpIsGoneAfterARestart() throws Exception {
        long before = (Long) get("/two/whoami").get("pid");
        assertEquals("ok", get("/two/touch?name=kept").get("result"));
        @SuppressWarnings("unchecked")
        List<Object> now = (List<Object>) get("/two/ls-tmp").get("files");
        assertTrue(now.contains("kept"));
        assertEquals(502, Http.get(app.port(), "/two/exit").status());
        @SuppressWarnings("unchecked")
        List<Object> after = (List<Object>) get("/two/ls-tmp").get("files");
        assertNotEquals(before, get("/two/whoami").get("pid"));
        assertFalse(after.contains("kept"), after.toString());
    }

    @Test
    void aProjectInAFolderTheMicrosUserCannotEnterRuns() throws Exception {
        Path locked = Files.createTempDirectory(Path.of("/var/tmp"), "micros-locked-");
        try {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
            Path app = Apps.copy("sandbox", locked);
            Jar.Result r = Jar.run(app, Map.of(), "check", "--expect", "GET /one/whoami 200", "--expect", "GET /two/whoami 200");
            assertEquals(0, r.exit(), r.all());
        } finally {
            new ProcessBuilder("rm", "-rf", locked.toString()).start().waitFor();
        }
    }

    @Test
    void noSandboxLetsTheMicroWriteItsFolder(@TempDir Path other) throws Exception {
        try (Apps.Running open = Apps.start(Apps.copy("sandbox", other), Apps.Options.defaults().sandbox(new RunConfig.Sandboxing(false, 8L << 20, "nobody")))) {
            Path target = other.resolve("sandbox/probe/written.txt");
            Http.Response r = Http.get(open.port(), "/one/write?path=" + target);
            assertEquals("ok", Json.object(r.text()).get("result"));
            assertTrue(Files.exists(target));
            assertEquals(0L, Json.object(Http.get(open.port(), "/one/whoami").text()).get("uid"));
        }
    }

    @Test
    void doctorAndTheBannerSayWhetherItIsOn() throws Exception {
        Jar.Result doctor = Jar.run(dir, "doctor");
        assertTrue(doctor.out().matches("(?s).*read-only filesystem +yes +.*"), doctor.all());
        assertTrue(doctor.out().matches("(?s).*pid namespace +yes +each micro in its own.*"), doctor.all());
        assertTrue(doctor.out().matches("(?s).*user per micro +yes +each process micro its own uid.*"), doctor.all());
        assertTrue(doctor.out().matches("(?s).*network +no +not isolated: .*"), doctor.all());
        Path other = Apps.copy("sandbox", dir.resolve("banner"));
        Jar.Result check = Jar.run(other, Map.of(), "check", "--expect", "/one/whoami 200");
        Matcher line = Pattern.compile("sandbox: read-only filesystem of the system, the interpreter and the micro's code only, private 512 MiB /tmp \\(disk-backed\\), " + RUN_AS.pattern()
                + " without capabilities, each instance in its own pid namespace; network not isolated").matcher(check.out());
        assertTrue(line.find(), check.all());
        Jar.Result off = Jar.run(other, Map.of(), "check", "--no-sandbox", "--expect", "/one/whoami 200");
        assertTrue(off.out().contains("sandbox: off (--no-sandbox was given)"), off.all());
    }
}
