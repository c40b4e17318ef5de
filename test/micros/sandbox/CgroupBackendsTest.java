package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.runtime.RunConfig;
import micros.runtime.Supervisor;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Procs;
import micros.support.Jar;
import micros.support.Jar.Proc;
import micros.util.Json;

/** The cgroup backends: v2's file protocol on a fake tree, stale groups of a killed run, nothing left after exit, --no-limits. */
class CgroupBackendsTest {
    @TempDir
    Path dir;

    static final RunConfig.Limits SMALL = new RunConfig.Limits(Duration.ofSeconds(2), 64L << 20, 40, 1 << 20, true);
    static final List<Path> ROOTS = List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/memory"), Path.of("/sys/fs/cgroup/pids"), Path.of("/sys/fs/cgroup/unified"));

    private static int indexOf(List<String> journal, String entry) {
        int i = journal.indexOf(entry);
        assertTrue(i >= 0, () -> "'" + entry + "' not in " + String.join("\n", journal));
        return i;
    }

    @Test
    void v2BackendFollowsTheFileProtocolOnAFakeTree() throws Exception {
        Apps.require("node", "python3");
        Path fake = dir.resolve("cgroupfs");
        Files.createDirectories(fake);
        Files.writeString(fake.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        Files.writeString(fake.resolve("cgroup.subtree_control"), "cpu\n");
        List<String> journal = new CopyOnWriteArrayList<>();
        Limiter limiter = Limiter.detect(SMALL, Map.of("MICROS_CGROUP_ROOT", fake.toString()), journal::add);
        assertEquals(Limiter.Mode.V2, limiter.mode());
        Path parent;
        try (Stream<Path> s = Files.list(fake)) {
            parent = s.filter(Files::isDirectory).findFirst().orElseThrow();
        }
        assertTrue(parent.getFileName().toString().matches("micros-" + ProcessHandle.current().pid() + "(-[0-9]+)?"), parent.toString());
        long pid;
        try (Apps.Running app = Apps.start(Apps.copy("limits", dir), Apps.Options.defaults().limits(SMALL), limiter)) {
            assertEquals(200, Http.get(app.port(), "/other/x").status());
            Supervisor other = app.emulator.runtime().supervisors().stream().filter(s -> s.micro().name().equals("other")).findFirst().orElseThrow();
            pid = other.pid();
            Path group = parent.resolve("other@1"); // its first instance's group
            assertEquals(Long.toString(pid), Files.readString(group.resolve("cgroup.procs")).strip(), "the micro joined its group before it ran");
            assertEquals("67108864", Files.readString(group.resolve("memory.max")));
            assertEquals("0", Files.readString(group.resolve("memory.swap.max")));
            assertEquals("1", Files.readString(group.resolve("memory.oom.group")));
            assertEquals("40", Files.readString(group.resolve("pids.max")));
            assertEquals("+memory +pids", Files.readString(parent.resolve("cgroup.subtree_control")));
            assertEquals("+memory +pids", Files.readString(fake.resolve("cgroup.subtree_control")));
            // the order: controllers enabled above a group before the group and its limits are made
            int rootControllers = indexOf(journal, "write " + fake.resolve("cgroup.subtree_control") + " +memory +pids");
            int mkParent = indexOf(journal, "mkdir " + parent);
            int parentControllers = indexOf(journal, "write " + parent.resolve("cgroup.subtree_control") + " +memory +pids");
            int mkGroup = indexOf(journal, "mkdir " + group);
            int memoryMax = indexOf(journal, "write " + group.resolve("memory.max") + " 67108864");
            int pidsMax = indexOf(journal, "write " + group.resolve("pids.max") + " 40");
            assertTrue(rootControllers < mkParent && mkParent < parentControllers && parentControllers < mkGroup && mkGroup < memoryMax && memoryMax < pidsMax, String.join("\n", journal));
        }
        assertFalse(Procs.alive(pid), "the micro was stopped");
        assertTrue(journal.contains("write " + parent.resolve("other@1/cgroup.kill") + " 1") || journal.contains("rmdir " + parent.resolve("other@1")), String.join("\n", journal));
        assertFalse(Files.exists(parent), "the run's parent group is removed");
        indexOf(journal, "rmdir " + parent);
    }

    private static List<Path> groupsOf(long pid) {
        List<Path> found = new ArrayList<>();
        for (Path root : ROOTS) {
            try (Stream<Path> s = Files.list(root)) {
                s.filter(p -> p.getFileName().toString().matches("micros-" + pid + "(-[0-9]+)?")).forEach(found::add);
            } catch (java.io.IOException ignored) {
                // not a hierarchy on this machine
            }
        }
        return found;
    }

    private static void requireCgroups() {
        Limiter probe = Limiter.detect(RunConfig.Limits.SPACE, System.getenv(), w -> { });
        probe.close();
        Assumptions.assumeTrue(probe.mode() != Limiter.Mode.NONE, "needs cgroups: " + probe.reason());
    }

    @Test
    void staleGroupsOfAKilledRunAreCleanedAtTheNextStartAndNoneAreLeftAfterExit() throws Exception {
        Apps.require("node", "python3");
        requireCgroups();
        Path app = Apps.copy("limits", dir);
        long micro, first;
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public")) {
            int port = Integer.parseInt(p.await("is listening on", 20).replaceAll(".*:([0-9]+).*", "$1"));
            micro = (Long) Json.object(Http.get(port, "/other/x").text()).get("pid");
            first = p.process.pid();
            assertFalse(groupsOf(first).isEmpty(), "the run made its groups");
            p.signal("KILL");
            p.waitFor(10);
        }
        assertTrue(Procs.alive(micro), "a micro outlives a SIGKILLed emulator");
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0")) {
            p.await("Press Ctrl-C to stop.", 20);
            String line = p.await("removed the cgroups of a run that did not stop cleanly", 5);
            assertTrue(line.contains("micros-" + first + " (1 micro)"), line); // only the micro that ran had a group
            long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (Procs.alive(micro) && System.nanoTime() < until) Thread.sleep(20);
            assertFalse(Procs.alive(micro), "the dead run's micro was killed");
            assertTrue(groupsOf(first).isEmpty(), "the dead run's groups are gone: " + groupsOf(first));
            long second = p.process.pid();
            p.signal("TERM");
            p.waitFor(20);
            assertTrue(groupsOf(second).isEmpty(), "no group of ours is left after exit: " + groupsOf(second));
        }
    }

    @Test
    void noLimitsStillEnforcesTimeoutAndPayloadAndSaysWhatItDoesNot() throws Exception {
        Apps.require("node", "python3");
        RunConfig.Limits none = new RunConfig.Limits(Duration.ofSeconds(2), 64L << 20, 40, 1 << 20, false);
        Limiter limiter = Limiter.detect(none, System.getenv(), w -> { });
        assertEquals(Limiter.Mode.NONE, limiter.mode());
        assertEquals(List.of("limits: memory (64 MiB) not enforced: --no-limits was given", "limits: processes (40) not enforced: --no-limits was given"), limiter.unenforced());
        assertEquals("limits: timeout 2s; payload 1 MiB; memory and processes not enforced", limiter.summary());
        try (Apps.Running app = Apps.start(Apps.copy("limits", dir), Apps.Options.defaults().limits(none), limiter)) {
            assertEquals(200, Http.get(app.port(), "/hog/alloc?mb=100").status(), "no memory limit");
            assertEquals(504, Http.get(app.port(), "/hog/sleep?s=10").status(), "the timeout still applies");
            assertEquals(413, Http.send(app.port(), "POST /other/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n", new byte[0]).status());
        }
    }

    @Test
    void doctorReportsEveryLimit() throws Exception {
        Jar.Result r = Jar.run(dir, "doctor");
        assertEquals(0, r.exit(), r.all());
        for (String limit : List.of("timeout (20s)", "payload (5.5 MiB)", "memory (512 MiB)", "processes (1024)", "read-only filesystem"))
            assertTrue(r.out().contains("  " + limit), r.all());
        assertTrue(r.out().matches("(?s).*\n  +cgroups +(yes|no) .*"), r.all());
    }
}
