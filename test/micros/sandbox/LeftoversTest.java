package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;

/**
 * Nothing of a sandboxed micro outlives micros: its processes, the namespaces they held, the
 * loop device of its /tmp, its cgroups; after a clean stop, and after micros is SIGKILLed and
 * the next start cleans up.
 */
class LeftoversTest {
    @TempDir
    Path dir;

    /** What the running micros of one emulator hold on this machine. */
    record Held(List<Long> holders, Set<String> namespaces, Set<String> cgroups, Set<String> loops) {
        static Held of(long micros) throws IOException {
            List<Long> holders = new ArrayList<>();
            Set<String> namespaces = new TreeSet<>(), cgroups = new TreeSet<>(), loops = new TreeSet<>();
            for (ProcessHandle h : ProcessHandle.of(micros).orElseThrow().children().toList()) {
                if (!h.info().command().orElse("").endsWith("unshare")) continue;
                holders.add(h.pid());
                for (ProcessHandle init : h.children().toList()) {
                    for (String ns : List.of("pid", "mnt")) namespaces.add(Files.readSymbolicLink(Path.of("/proc/" + init.pid() + "/ns/" + ns)).toString());
                    for (String line : Files.readAllLines(Path.of("/proc/" + init.pid() + "/mountinfo"))) { // the loop device of its /tmp
                        String[] f = line.split(" ");
                        int dash = List.of(f).indexOf("-");
                        if (f[4].equals("/tmp") && f[dash + 2].startsWith("/dev/loop")) loops.add(loop(f[dash + 2]));
                    }
                    for (String line : Files.readAllLines(Path.of("/proc/" + init.pid() + "/cgroup"))) {
                        String[] f = line.split(":", 3);
                        if (!f[2].contains("micros-")) continue;
                        Path g = f[1].isEmpty() ? Path.of("/sys/fs/cgroup/unified" + f[2]) : Path.of("/sys/fs/cgroup", f[1].replace("name=", ""), f[2]);
                        if (Files.isDirectory(g)) cgroups.add(g.toString());
                    }
                }
            }
            return new Held(holders, namespaces, cgroups, loops);
        }

        /** "/dev/loop3 2148402": a loop device and the inode of its backing file (its name is reused), or the device alone when free. */
        static String loop(String device) {
            try {
                Process p = new ProcessBuilder("losetup", "-nO", "BACK-INO", device).redirectErrorStream(true).start();
                String ino = new String(p.getInputStream().readAllBytes()).strip();
                return p.waitFor() == 0 && ino.matches("[0-9]+") ? device + " " + ino : device + " free";
            } catch (IOException | InterruptedException e) {
                return device + " unknown";
            }
        }

        /** Namespaces some process still holds. */
        Set<String> heldNamespaces() {
            Set<String> held = new TreeSet<>();
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("[0-9]+"))) {
                for (Path p : procs)
                    for (String ns : List.of("pid", "mnt")) {
                        try {
                            String link = Files.readSymbolicLink(p.resolve("ns/" + ns)).toString();
                            if (namespaces.contains(link)) held.add(link + " by " + p.getFileName());
                        } catch (IOException gone) {
                            // ended meanwhile
                        }
                    }
            } catch (IOException ignored) {
                // no /proc
            }
            return held;
        }

        List<String> left() throws IOException {
            List<String> left = new ArrayList<>();
            for (long pid : holders) if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) left.add("process " + pid);
            left.addAll(heldNamespaces());
            for (String g : cgroups) if (Files.isDirectory(Path.of(g))) left.add("cgroup " + g);
            for (String loop : loops) if (loop.equals(loop(loop.substring(0, loop.indexOf(' '))))) left.add("loop device " + loop);
            return left;
        }

        void assertGone(String when) throws Exception {
            long until = System.nanoTime() + 10_000_000_000L;
            while (!left().isEmpty() && System.nanoTime() < until) Thread.sleep(50);
            assertEquals(List.of(), left(), when);
        }
    }

    private static int port(Jar.Proc p) throws InterruptedException {
        String line = p.await("is listening on", 20);
        return Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
    }

    private static Held wake(Jar.Proc p, int port) throws Exception {
        for (String micro : List.of("one", "two")) assertEquals(200, Http.get(port, "/" + micro + "/whoami").status());
        Held held = Held.of(p.process.pid());
        assertEquals(2, held.holders().size(), held.toString());
        assertEquals(4, held.namespaces().size(), "a pid and a mount namespace per micro: " + held);
        if (p.output().contains("(disk-backed)")) assertEquals(2, held.loops().size(), "a loop device per micro's /tmp: " + held);
        if (p.output().contains("via cgroup")) assertTrue(held.cgroups().size() >= 2, "cgroups per micro: " + held);
        return held;
    }

    @Test
    void nothingOfAMicroOutlivesAStopOrAKilledRunAndTheNextStart() throws Exception {
        Apps.require("python3");
        Sandbox s = Sandbox.detect(true, 8L << 20, null);
        Assumptions.assumeTrue(s.mode() == Sandbox.Mode.ROOT, "needs the sandbox as root here: " + (s.on() ? "running without root" : s.reason()));
        Path app = Apps.copy("sandbox", dir);
        Held killed;
        try (Jar.Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public", "--tmp", "8M")) {
            killed = wake(p, port(p));
            p.signal("KILL");
            p.waitFor(10);
        }
        assertFalse(killed.left().isEmpty(), "a SIGKILLed micros cannot stop its micros: the next start does");
        try (Jar.Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public", "--tmp", "8M")) {
            int port = port(p);
            p.await("Press Ctrl-C to stop.", 10);
            killed.assertGone("after the next start");
            Held stopped = wake(p, port);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
            stopped.assertGone("after a stop");
        }
    }
}
