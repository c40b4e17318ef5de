package micros.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.Jar.Proc;
import micros.support.Procs;
import micros.util.Json;

/** When micros itself is killed, or cannot write its state: the next start cleans up; failures are one sentence. */
class EmulatorFaultsTest {
    @TempDir
    Path dir;

    private static int port(String line) {
        return Integer.parseInt(line.replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1"));
    }

    @Test
    void aKilledRunWithoutLimitsIsCleanedUpAtTheNextStart() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("faults", dir);
        Killed killed = killRun(app, false);
        assertTrue(Procs.alive(killed.micro()), "the micro outlived the SIGKILLed emulator");
        assertTrue(Files.exists(app.resolve(".micros/run.properties")), "the dead run left its state file");
        String line = nextStart(app, false, killed);
        assertTrue(line.contains("(pid " + killed.run() + "): stopped 1 micro process it left"), line);
        assertFalse(Files.exists(app.resolve(".micros/run.properties")));
    }

    @Test
    void aKilledRunWithLimitsSaysItsMicrosEndedWithItsCgroups() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("faults", dir);
        Killed killed = killRun(app, true);
        // the cgroup cleanup comes first and ends the micro: the state's line must not say nothing was running
        String line = nextStart(app, true, killed);
        assertTrue(line.contains("(pid " + killed.run() + "): what it left running ended with its cgroups"), line);
    }

    /** A killed run: the pid of its micro that answered, and its own. */
    private record Killed(long micro, long run) {}

    /** Runs the faults app (with its limits, or --no-limits), wakes its good micro, then SIGKILLs micros. */
    private static Killed killRun(Path app, boolean limits) throws Exception {
        try (Proc p = Jar.start(app, Map.of(), args(limits))) {
            if (limits) Assumptions.assumeTrue(!p.await("limits:", 20).contains("not enforced"), "no cgroups here: " + p.output());
            int port = port(p.await("is listening on", 20));
            long micro = (Long) Json.object(Http.get(port, "/good/x").text()).get("pid");
            long run = p.process.pid();
            p.signal("KILL");
            p.waitFor(10);
            return new Killed(micro, run);
        }
    }

    /** The next start's line about the killed run, once the micro it left has ended; then that start stops. */
    private static String nextStart(Path app, boolean limits, Killed killed) throws Exception {
        try (Proc p = Jar.start(app, Map.of(), args(limits))) {
            String line = p.await("cleaned up after a run that did not stop cleanly", 20);
            assertTrue(Procs.ends(killed.micro(), 3000), "the left-over micro was stopped");
            p.await("Press Ctrl-C to stop.", 10);
            p.signal("TERM");
            p.waitFor(20);
            return line;
        }
    }

    private static String[] args(boolean limits) {
        return limits ? new String[] {"run", "--port", "0", "--public"} : new String[] {"run", "--port", "0", "--public", "--no-limits"};
    }

    @Test
    void aSecondRunOfTheSameProjectIsRefused() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("faults", dir);
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public")) {
            p.await("Press Ctrl-C to stop.", 20);
            Jar.Result second = Jar.run(app, Map.of(), "run", "--port", "0");
            assertEquals(1, second.exit(), second.all());
            assertTrue(second.out().contains("micros: micros is already running for this project (pid " + p.process.pid()), second.all());
        }
    }

    @Test
    void anUnwritableStateFolderIsOneSentence() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("faults", dir);
        Jar.Result r = Jar.run(app, Map.of("MICROS_STATE_DIR", "/proc/micros-state"), "run", "--port", "0");
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains("micros: cannot write micros' state folder /proc/micros-state ("), r.all());
        assertTrue(r.out().contains("point MICROS_STATE_DIR at a writable folder"), r.all());
        assertEquals(1, r.out().lines().filter(l -> l.startsWith("micros: ")).count(), r.all());
        assertFalse(r.all().contains("Exception"), r.all());
    }

    @Test
    void aFullDiskIsOneSentence() throws Exception {
        Apps.require("node");
        Assumptions.assumeTrue(Files.isWritable(Path.of("/sys/fs/cgroup/memory")) || "0".equals(uid()), "mounting a tiny tmpfs needs root");
        Path app = Apps.copy("faults", dir);
        Path full = dir.resolve("full");
        Files.createDirectories(full);
        assertEquals(0, new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", full.toString()).inheritIO().start().waitFor());
        try {
            Files.write(full.resolve("filler"), new byte[64 * 1024 - 1], java.nio.file.StandardOpenOption.CREATE); // fails past 16k
        } catch (java.io.IOException expected) {
            // the disk is full now
        }
        try {
            Jar.Result r = Jar.run(app, Map.of("MICROS_STATE_DIR", full.resolve("state").toString()), "run", "--port", "0");
            assertEquals(1, r.exit(), r.all());
            assertTrue(r.out().contains("(the disk is full)"), r.all());
            assertFalse(r.all().contains("Exception"), r.all());
        } finally {
            new ProcessBuilder("umount", full.toString()).inheritIO().start().waitFor();
        }
    }

    private static String uid() throws Exception {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:")).map(l -> l.split("\\s+")[1]).findFirst().orElse("");
    }
}
