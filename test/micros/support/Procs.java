package micros.support;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import micros.runtime.ProcessTree;

/**
 * Whether a process still runs: a zombie waiting for its parent to collect it has ended.
 * A pid may be the one a micro reports about itself: in its own pid namespace (the sandbox)
 * that is its pid there, so a process counts when its innermost pid (NSpid's last) matches.
 */
public final class Procs {
    private Procs() {}

    public static boolean alive(long pid) {
        return find(pid, false) > 0;
    }

    /**
     * The host's pid of the process a micro reports as {@code pid}: one in a pid namespace of its
     * own whose pid there is that (the sandbox), else the process with that pid (no sandbox); -1 when none runs.
     */
    public static long hostPid(long pid) {
        long inNamespace = find(pid, true);
        return inNamespace > 0 ? inNamespace : find(pid, false);
    }

    private static long find(long pid, boolean nestedOnly) {
        try (DirectoryStream<Path> all = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path p : all) {
                String nspid = null, state = null;
                try {
                    for (String line : Files.readAllLines(p.resolve("status"))) {
                        if (line.startsWith("NSpid:")) nspid = line;
                        else if (line.startsWith("State:")) state = line;
                    }
                } catch (IOException | RuntimeException gone) {
                    continue;
                }
                if (nspid == null || state == null) continue;
                String[] f = nspid.substring(6).trim().split("\\s+");
                if (nestedOnly && f.length < 2) continue;
                if (f[f.length - 1].equals(Long.toString(pid)) && !state.contains("Z") && !state.contains("X")) return Long.parseLong(f[0]);
            }
            return -1;
        } catch (IOException e) {
            return ProcessHandle.of(pid).map(ProcessTree::running).orElse(false) ? pid : -1;
        }
    }

    /** Waits up to {@code millis} for the process to end; true when it did. */
    public static boolean ends(long pid, long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000;
        while (alive(pid) && System.nanoTime() < until) Thread.sleep(10);
        return !alive(pid);
    }

    /** The cgroups of the run whose micros has this pid ({@code micros-<pid>}, {@code micros-<pid>-<n>}, and the groups in them) in every hierarchy. */
    public static List<Path> cgroupsOf(long pid) throws IOException {
        List<Path> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            int dash = line.indexOf(" - ");
            if (dash < 0) continue;
            String type = line.substring(dash + 3).split(" ")[0];
            if (!type.equals("cgroup") && !type.equals("cgroup2")) continue;
            Path mount = Path.of(line.substring(0, dash).split(" ")[4]);
            try (DirectoryStream<Path> groups = Files.newDirectoryStream(mount, g -> g.getFileName().toString().matches("micros-" + pid + "(-[0-9]+)?"))) {
                for (Path g : groups) {
                    found.add(g);
                    try (DirectoryStream<Path> inside = Files.newDirectoryStream(g, Files::isDirectory)) {
                        inside.forEach(found::add); // the groups of its micros and builds
                    } catch (IOException gone) {
                        // removed meanwhile
                    }
                }
            } catch (IOException ignored) {
                // not readable: not ours
            }
        }
        return found;
    }
}
