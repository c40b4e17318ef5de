package micros.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import micros.runtime.ProcessTree;
import micros.support.Apps;
import micros.support.Jar;
import micros.support.Procs;

/**
 * Nothing a build starts outlives its step: install scripts, `commands` and frontend builds
 * that leave a daemon behind (setsid, its own session), on success, on failure, when micros is
 * stopped during the build, and after micros is SIGKILLed and started again. Each daemon is a
 * sleep of a duration no other test uses, found by scanning /proc for its command line.
 */
class BuildLeftoversTest {
    private Path dir;
    private final List<String> markers = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory(Path.of("/var/tmp"), "micros-build-leftovers");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws IOException {
        for (String m : markers) running(m).forEach(ProcessTree::kill); // what a failing run left, so the next test starts clean
        for (Path d : List.of(dir, dir.resolveSibling(dir.getFileName() + "-packages"))) {
            if (!Files.exists(d)) continue;
            try (Stream<Path> walk = Files.walk(d)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** A sleep argument unique to this test run: "907.<random>". */
    private String marker() {
        String m = "907." + ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        markers.add(m);
        return m;
    }

    /** A shell line that starts a daemon in its own session, away from its parent's output. */
    private static String daemon(String marker) {
        return "setsid sleep " + marker + " </dev/null >/dev/null 2>&1 &";
    }

    /** Processes (not zombies) whose command line is `sleep <marker>`. */
    static List<ProcessHandle> running(String marker) {
        List<ProcessHandle> found = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path p : procs) {
                try {
                    String cmd = Files.readString(p.resolve("cmdline")).replace('\0', ' ').strip();
                    if (cmd.endsWith("sleep " + marker)) ProcessHandle.of(Long.parseLong(p.getFileName().toString())).filter(ProcessTree::running).ifPresent(found::add);
                } catch (IOException gone) {
                    // ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list /proc", e);
        }
        return found;
    }


    /** No process of these markers runs (a SIGKILL needs a moment to land), and the run's cgroups are gone. */
    private void assertNothingLeft(String when, long micros, String... of) throws Exception {
        long until = System.nanoTime() + 10_000_000_000L;
        List<String> left;
        while (!(left = left(micros, of)).isEmpty() && System.nanoTime() < until) Thread.sleep(50);
        assertEquals(List.of(), left, when);
    }

    private static List<String> left(long micros, String... of) throws IOException {
        List<String> left = new ArrayList<>();
        for (String m : of) for (ProcessHandle h : running(m)) left.add("sleep " + m + " (pid " + h.pid() + ")");
        if (micros > 0) for (Path g : Procs.cgroupsOf(micros)) left.add("cgroup " + g);
        return left;
    }

    private void spacefile(String micros) throws IOException {
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n" + micros);
    }

    /** A static micro whose `commands` are these lines. */
    private void staticWithCommands(String... commands) throws IOException {
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("site/index.html"), "site\n");
        StringBuilder s = new StringBuilder("  - name: site\n    src: site\n    engine: static\n    serve: .\n    primary: true\n    commands:\n");
        for (String c : commands) s.append("      - \"").append(c.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        spacefile(s.toString());
    }

    @Test
    void installScriptsOfTheAppAndOfAFileDependencyLeaveNoDaemon() throws Exception {
        Apps.require("node", "npm");
        String own = marker(), dep = marker();
        Path packages = Files.createDirectories(dir.resolveSibling(dir.getFileName() + "-packages")); // the dependency's source, outside the project
        Path pkg = Files.createDirectories(packages.resolve("tiny-dep"));
        Files.writeString(pkg.resolve("package.json"), "{\"name\": \"tiny-dep\", \"version\": \"1.0.0\", \"main\": \"index.js\", \"scripts\": {\"install\": \""
                + daemon(dep) + " echo dep installed\"}}\n");
        Files.writeString(pkg.resolve("index.js"), "module.exports = 'dep';\n");
        Process pack = new ProcessBuilder("npm", "pack", "--silent", "--pack-destination", packages.toString()).directory(pkg.toFile()).redirectErrorStream(true).start();
        String packed = new String(pack.getInputStream().readAllBytes());
        assertEquals(0, pack.waitFor(), packed);
        Path api = Files.createDirectories(dir.resolve("api"));
        // its packed file in the micro's folder, as Space's upload had to hold it: a build sees nothing else of the machine
        Files.move(packages.resolve("tiny-dep-1.0.0.tgz"), api.resolve("tiny-dep-1.0.0.tgz"));
        Files.writeString(api.resolve("package.json"), "{\"name\": \"api\", \"version\": \"1.0.0\", \"dependencies\": {\"tiny-dep\": \"file:"
                + "tiny-dep-1.0.0.tgz\"}, \"scripts\": {\"postinstall\": \"" + daemon(own) + " echo postinstall done\"}}\n");
        Files.writeString(api.resolve("index.js"), "module.exports = (req, res) => res.end(require('tiny-dep'));\n");
        spacefile("  - name: api\n    src: api\n    engine: nodejs16\n    primary: true\n    public: true\n");
        try (Jar.Proc p = Jar.start(dir, Map.of(), "run", "--port", "0", "--public")) {
            p.await("is listening on", 60);
            assertTrue(p.output().contains("npm install: done in"), p.output());
            assertNothingLeft("after npm install ended, before micros stops:\n" + p.output(), 0, own, dep);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
            assertNothingLeft("after micros stopped", p.process.pid(), own, dep);
        }
    }

    @Test
    void aBuildCommandsDaemonEndsWithItsStepEvenWhenItHoldsTheOutput() throws Exception {
        String m = marker();
        staticWithCommands("setsid sleep " + m + " & echo daemon started"); // the daemon keeps the step's stdout open
        try (Jar.Proc p = Jar.start(dir, Map.of(), "run", "--build", "--port", "0", "--public")) {
            p.await("is listening on", 30);
            assertTrue(p.output().contains("| daemon started"), p.output());
            assertNothingLeft("after the step ended, before micros stops:\n" + p.output(), 0, m);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
            assertNothingLeft("after micros stopped:\n" + p.output(), p.process.pid(), m);
        }
    }

    @Test
    void withoutLimitsABuildIsStillContained() throws Exception {
        String m = marker();
        staticWithCommands(daemon(m) + " echo daemon started");
        try (Jar.Proc p = Jar.start(dir, Map.of(), "run", "--build", "--no-limits", "--port", "0", "--public")) {
            p.await("is listening on", 30);
            assertNothingLeft("after the step ended:\n" + p.output(), 0, m);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
        }
    }

    @Test
    void withoutCgroupsAndNamespacesAStepSaysSoAndEndsItsSession() throws Exception {
        // an unshare that cannot make namespaces (a container without the privilege), and --no-limits
        Path bin = Files.createDirectories(dir.resolve("no-namespaces"));
        Files.writeString(bin.resolve("unshare"), "#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n");
        Files.setPosixFilePermissions(bin.resolve("unshare"), PosixFilePermissions.fromString("rwxr-xr-x"));
        String m = marker();
        staticWithCommands("sleep " + m + " >/dev/null 2>&1 & echo daemon started"); // in the step's session
        try (Jar.Proc p = Jar.start(dir, Map.of("PATH", bin + ":" + System.getenv("PATH")), "run", "--build", "--no-limits", "--port", "0", "--public")) {
            p.await("is listening on", 30);
            assertTrue(p.output().contains("builds: not contained (no cgroup: --no-limits was given; no pid namespace"), p.output());
            assertNothingLeft("after the step ended:\n" + p.output(), 0, m);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
        }
    }

    @Test
    void stoppingMicrosDuringABuildEndsTheStepAndItsDaemon() throws Exception {
        String daemon = marker(), step = marker();
        staticWithCommands(daemon(daemon) + " echo building; sleep " + step);
        try (Jar.Proc p = Jar.start(dir, Map.of(), "run", "--build", "--port", "0", "--public")) {
            p.await("| building", 30);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
            assertNothingLeft("after SIGTERM during the build:\n" + p.output(), p.process.pid(), daemon, step);
        }
    }

    @Test
    void aFailingCommandAndAFailingFrontendBuildEndTheDaemonsTheyStarted() throws Exception {
        String m = marker();
        staticWithCommands(daemon(m) + " echo failing >&2; exit 5");
        try (Jar.Proc p = Jar.start(dir, Map.of(), "check")) {
            assertEquals(1, p.waitFor(30), p.output());
            assertTrue(p.output().contains("| " + daemon(m) + " echo failing >&2; exit 5: failed with exit code 5"), p.output());
            assertNothingLeft("after the failed build command", p.process.pid(), m);
        }

        Apps.require("node", "npm");
        String f = marker();
        Path web = Files.createDirectories(dir.resolve("web"));
        Files.writeString(web.resolve("package.json"), "{\"name\": \"web\", \"version\": \"1.0.0\", \"scripts\": {\"build\": \""
                + daemon(f) + " echo cannot build >&2; exit 3\"}}\n");
        spacefile("  - name: web\n    src: web\n    engine: vue\n");
        try (Jar.Proc p = Jar.start(dir, Map.of(), "check", "--expect", "/ 200")) {
            assertEquals(1, p.waitFor(60), p.output());
            assertTrue(p.output().contains("npm run build: failed with exit code"), p.output());
            assertTrue(p.output().contains("  cannot build"), "the build's own output is shown:\n" + p.output());
            assertNothingLeft("after the failed frontend build", p.process.pid(), f);
        }
    }

    /** Starts micros with --build on a step that keeps running, and SIGKILLs it during the step; returns its pid. */
    private long killDuringTheBuild(Map<String, String> env, String daemon, String step) throws Exception {
        staticWithCommands(daemon(daemon) + " echo building; sleep " + step);
        try (Jar.Proc p = Jar.start(dir, env, "run", "--build", "--port", "0", "--public")) {
            p.await("| building", 30);
            p.signal("KILL");
            p.waitFor(10);
            return p.process.pid();
        }
    }

    /** The next start of the project cleans what the killed run left (its build, never stamped, runs again: a quick one now). */
    private void nextStartCleans(long killed, String... markers) throws Exception {
        staticWithCommands("echo built again");
        try (Jar.Proc p = Jar.start(dir, Map.of(), "run", "--port", "0", "--public")) {
            p.await("Press Ctrl-C to stop.", 30);
            assertNothingLeft("after the next start:\n" + p.output(), killed, markers);
            // (another micros starting on this machine meanwhile may have cleaned them first)
            String cleaned = "removed the cgroups of a run that did not stop cleanly: micros-" + killed + " ";
            if (p.output().contains(cleaned)) assertTrue(p.output().contains(cleaned + "(0 micros, 1 build)"), p.output());
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
        }
    }

    @Test
    void aBuildDiesWithAKilledMicrosAndTheNextStartRemovesItsCgroup() throws Exception {
        String daemon = marker(), step = marker();
        long killed = killDuringTheBuild(Map.of(), daemon, step);
        assertNothingLeft("after micros was SIGKILLed (setpriv --pdeathsig)", 0, daemon, step);
        nextStartCleans(killed, daemon, step);
    }

    @Test
    void withoutPdeathsigTheNextStartEndsWhatAKilledMicrosLeft() throws Exception {
        // setpriv before util-linux 2.33 has no --pdeathsig: then a build outlives a SIGKILLed micros until the next start
        Path real = micros.util.Programs.onPath("setpriv");
        Assumptions.assumeTrue(real != null, "setpriv is not installed");
        Path bin = Files.createDirectories(dir.resolve("old-util-linux"));
        Files.writeString(bin.resolve("setpriv"), "#!/bin/sh\ncase \" $* \" in *\" --pdeathsig \"*) echo \"setpriv: unrecognized option '--pdeathsig'\" >&2; exit 1;; esac\n"
                + "exec " + real + " \"$@\"\n");
        Files.setPosixFilePermissions(bin.resolve("setpriv"), PosixFilePermissions.fromString("rwxr-xr-x"));
        String daemon = marker(), step = marker();
        long killed = killDuringTheBuild(Map.of("PATH", bin + ":" + System.getenv("PATH")), daemon, step);
        assertFalse(running(daemon).isEmpty(), "without --pdeathsig the build outlives the SIGKILLed micros, until the next start");
        nextStartCleans(killed, daemon, step);
    }

    @Test
    void withoutRootABuildIsContainedInAUserNamespace() throws Exception {
        List<String> asNobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--");
        Assumptions.assumeTrue(isRoot(), "switching to an unprivileged user needs root");
        String m = marker();
        staticWithCommands(daemon(m) + " echo daemon started");
        assertEquals(0, new ProcessBuilder("chown", "-R", "65534:65534", dir.toString()).inheritIO().start().waitFor());
        try (Jar.Proc p = Jar.startAs(asNobody, dir, Map.of("HOME", dir.toString()), "run", "--build", "--port", "0", "--public")) {
            p.await("is listening on", 30);
            assertTrue(p.output().contains("| daemon started"), p.output());
            assertFalse(p.output().contains("build: not contained"), p.output());
            assertNothingLeft("after the step ended:\n" + p.output(), 0, m);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
        }
    }

    private static boolean isRoot() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    }
}
