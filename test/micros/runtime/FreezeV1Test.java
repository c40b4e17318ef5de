package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.Procs;
import micros.util.Json;

/**
 * Freezing on a machine with cgroup v1 only (older hosts): micros runs in a mount namespace
 * where the cgroup v2 tree is unmounted, so it uses the v1 freezer, whose frozen tasks
 * ignore even SIGKILL until thawed. Every way a frozen micro ends is tried for real.
 */
class FreezeV1Test {
    static final Path FREEZER = Path.of("/sys/fs/cgroup/freezer");
    /** Runs the rest of the command line with every cgroup2 mount hidden. */
    static final List<String> V1_ONLY = List.of("unshare", "-m", "--propagation", "private", "sh", "-c",
            "for m in $(awk '$3 == \"cgroup2\" {print $2}' /proc/mounts); do umount -l \"$m\" || exit 1; done; exec \"$@\"", "v1-only");

    @TempDir
    Path dir;

    private static Map<String, Object> count(int port, int waitMs) throws Exception {
        Http.Response r = Http.get(port, "/?wait=" + waitMs);
        assertEquals(200, r.status(), r.text());
        return Json.object(r.text());
    }

    private static long n(Map<String, Object> m, String key) {
        return (Long) m.get(key);
    }

    /** The micro's v1 freezer state, as the kernel reports it. */
    private static String state(long microsPid) throws Exception {
        Path parent = FREEZER.resolve("micros-" + microsPid);
        try (Stream<Path> groups = Files.list(parent)) {
            Path group = groups.filter(Files::isDirectory).findFirst().orElseThrow();
            return Files.readString(group.resolve("freezer.state")).strip();
        }
    }

    private static void awaitFrozen(long microsPid) throws Exception {
        for (int i = 0; i < 300 && !state(microsPid).equals("FROZEN"); i++) Thread.sleep(10);
        assertEquals("FROZEN", state(microsPid), "the micro was frozen after its request");
    }

    @Test
    void frozenMicrosOnCgroupV1ResumeForRequestsAndEndOnTimeoutIdleAndSigterm() throws Exception {
        Apps.require("python3");
        Assumptions.assumeTrue(Files.isWritable(FREEZER), "no writable cgroup v1 freezer at " + FREEZER + " (needs root on a machine with v1 controllers)");
        Path app = Apps.copy("freeze", dir);
        try (Jar.Proc p = Jar.startAs(V1_ONLY, app, Map.of(), "run", "--port", "0", "--public", "--timeout", "1s", "--idle", "3s")) {
            int port = Integer.parseInt(p.await("is listening on", 20).replaceAll(".*:([0-9]+).*", "$1"));
            p.await("Press Ctrl-C to stop.", 10);
            assertTrue(p.output().contains("via cgroup v1;"), p.output());
            assertTrue(p.output().contains("freezing: micros are frozen between requests, as on Space (the cgroup v1 freezer)"), p.output());
            long microsPid = p.process.pid();

            Map<String, Object> first = count(port, 0);
            awaitFrozen(microsPid);
            Thread.sleep(1000); // 50 ticks if it ran
            Map<String, Object> after = count(port, 0);
            assertTrue(n(after, "before") - n(first, "count") <= 10, "the counter stood still while frozen: " + first + " -> " + after);
            Map<String, Object> during = count(port, 500);
            assertTrue(n(during, "count") - n(during, "before") >= 10, "the counter runs during a request: " + during);

            awaitFrozen(microsPid);
            assertEquals(504, Http.get(port, "/?wait=5000").status(), "thawed for the request, then killed at the timeout");
            assertTrue(Procs.ends(n(first, "pid"), 5000), "the timed-out micro was killed");

            long second = n(count(port, 0), "pid");
            assertNotEquals(n(first, "pid"), second);
            awaitFrozen(microsPid);
            assertTrue(Procs.ends(second, 10_000), "the frozen micro was stopped when idle");
            p.await("ticker: stopping (idle for 3s)", 5);

            long third = n(count(port, 0), "pid");
            awaitFrozen(microsPid);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
            assertFalse(Procs.alive(third), "the frozen micro did not outlive micros");
            for (String controller : List.of("freezer", "memory", "pids"))
                assertFalse(Files.exists(Path.of("/sys/fs/cgroup", controller, "micros-" + microsPid)), "no " + controller + " group is left");
        }
    }

    @Test
    void aRunKilledWhileItsMicroWasFrozenIsCleanedUpByTheNext() throws Exception {
        Apps.require("python3");
        Assumptions.assumeTrue(Files.isWritable(FREEZER), "no writable cgroup v1 freezer at " + FREEZER + " (needs root on a machine with v1 controllers)");
        Path app = Apps.copy("freeze", dir);
        long deadPid, micro;
        try (Jar.Proc p = Jar.startAs(V1_ONLY, app, Map.of(), "run", "--port", "0", "--public")) {
            int port = Integer.parseInt(p.await("is listening on", 20).replaceAll(".*:([0-9]+).*", "$1"));
            deadPid = p.process.pid();
            micro = n(count(port, 0), "pid");
            awaitFrozen(deadPid);
            p.signal("KILL");
            p.waitFor(10);
        }
        assertTrue(Procs.alive(micro), "a frozen micro outlives a SIGKILLed micros");
        try (Jar.Proc p = Jar.startAs(V1_ONLY, app, Map.of(), "run", "--port", "0", "--public")) {
            p.await("Press Ctrl-C to stop.", 20);
            assertTrue(Procs.ends(micro, 5000), "the next run thawed and killed the frozen micro it found");
            assertTrue(p.output().contains("removed the cgroups of a run that did not stop cleanly: micros-" + deadPid), p.output());
            for (String controller : List.of("freezer", "memory", "pids"))
                assertFalse(Files.exists(Path.of("/sys/fs/cgroup", controller, "micros-" + deadPid)), "the dead run's " + controller + " group is gone");
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
        }
    }
}
