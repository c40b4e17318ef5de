package micros.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Ends a micro's whole process tree: the process, its descendants, and every process still in
 * its session or process group (micros start each micro as a session leader, so a child whose
 * parent died, reparented away from the tree, is still found), SIGTERM first, SIGKILL after a
 * grace. The session is found even after its leader has ended: Linux does not reuse a pid
 * while it names a live session or group.
 */
public final class ProcessTree {
    private static final String KILL = Files.isExecutable(Path.of("/bin/kill")) ? "/bin/kill" : "kill";

    private ProcessTree() {}

    /** SIGTERM to the tree; after {@code grace}, SIGKILL to what is left. Returns true if it had to SIGKILL. */
    public static boolean terminate(ProcessHandle root, Duration grace) {
        List<ProcessHandle> all = members(root);
        signalGroup(root.pid(), "TERM");
        all.forEach(ProcessHandle::destroy);
        if (awaitGone(all, grace.toMillis()) && members(root).stream().noneMatch(ProcessTree::running)) return false;
        kill(root);
        return true;
    }

    /** SIGKILL to the tree at once. */
    public static void kill(ProcessHandle root) {
        if (root == null) return;
        List<ProcessHandle> all = members(root);
        signalGroup(root.pid(), "KILL");
        all.forEach(ProcessHandle::destroyForcibly);
        awaitGone(all, 2000);
    }

    /** The root (even if it ended), its descendants, and the processes of its session and group. */
    public static List<ProcessHandle> members(ProcessHandle root) {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(root);
        root.descendants().forEach(all::add);
        long id = root.pid();
        ProcessHandle.allProcesses().forEach(p -> {
            if (p.pid() == id || all.contains(p)) return;
            long[] ids = sessionAndGroup(p.pid());
            if (ids != null && (ids[0] == id || ids[1] == id)) all.add(p);
        });
        return all;
    }

    private static boolean awaitGone(List<ProcessHandle> all, long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        long pause = 1;
        while (all.stream().anyMatch(ProcessTree::running)) {
            if (System.nanoTime() > until) return false;
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            pause = Math.min(pause * 2, 20);
        }
        return true;
    }

    /**
     * Alive and not a zombie. A zombie has ended; it only waits for its parent (or init, which
     * reaps lazily on some machines) to collect its exit status.
     */
    public static boolean running(ProcessHandle h) {
        if (!h.isAlive()) return false;
        try {
            String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException e) {
            return h.isAlive();
        }
    }

    static long pgidOf(long pid) {
        long[] ids = sessionAndGroup(pid);
        return ids == null ? -1 : ids[1];
    }

    /** {session id, process group id} from /proc/PID/stat, or null when it is gone. */
    private static long[] sessionAndGroup(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[3]), Long.parseLong(f[2])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** kill -SIG -- -PGID: reaches processes that left the tree but stayed in the micro's group. */
    private static void signalGroup(long pgid, String signal) {
        if (pgidOf(pgid) != pgid) return; // not a group leader: no group of its own
        try {
            Process p = new ProcessBuilder(KILL, "-" + signal, "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor(2, TimeUnit.SECONDS);
        } catch (IOException e) {
            // kill(1) missing: the descendant walk still applies
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
