package micros.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Map;

/** Finds the cgroup hierarchies of this machine from /proc/self/mountinfo and where this user may create groups. */
final class Cgroups {
    private Cgroups() {}

    /** What was found: the mode, the v2 base (where run groups go) and the v1 memory and pids roots. */
    record Found(Limiter.Mode mode, Path v2, Path memory, Path pids, Path freezer, String reason) {}

    static Found find(Map<String, String> env) {
        String override = env.get("MICROS_CGROUP_ROOT");
        if (override != null && !override.isEmpty()) return new Found(Limiter.Mode.V2, Path.of(override), null, null, null, null);
        Path v2 = null, memory = null, pids = null, freezer = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                int dash = line.indexOf(" - ");
                if (dash < 0) continue;
                String[] before = line.substring(0, dash).split(" "), after = line.substring(dash + 3).split(" ");
                if (before.length < 5 || after.length < 3) continue;
                Path mount = Path.of(before[4].replace("\\040", " "));
                if (after[0].equals("cgroup2")) v2 = mount;
                else if (after[0].equals("cgroup")) {
                    List<String> options = List.of(after[2].split(","));
                    if (options.contains("memory")) memory = mount;
                    if (options.contains("pids")) pids = mount;
                    if (options.contains("freezer")) freezer = mount;
                }
            }
        } catch (IOException e) {
            return new Found(Limiter.Mode.NONE, null, null, null, null, "cannot read /proc/self/mountinfo");
        }
        if (v2 != null && controllers(v2).containsAll(List.of("memory", "pids"))) {
            Path base = isRoot() ? v2 : delegated(v2);
            if (base == null)
                return new Found(Limiter.Mode.NONE, null, null, null, null,
                        "this user has no delegated cgroup: run as root, or under `systemd-run --user -p Delegate=yes --scope`");
            return new Found(Limiter.Mode.V2, base, null, null, freezer, null);
        }
        if (memory != null && pids != null) {
            if (!Files.isWritable(memory) || !Files.isWritable(pids))
                return new Found(Limiter.Mode.NONE, null, null, null, null, "cgroup v1 needs root here: run micros as root");
            return new Found(v2 != null ? Limiter.Mode.HYBRID : Limiter.Mode.V1, v2, memory, pids, freezer, null);
        }
        return new Found(Limiter.Mode.NONE, null, null, null, null, "no memory and pids cgroup controllers are mounted");
    }

    static List<String> controllers(Path dir) {
        String text = CgroupFiles.read(dir.resolve("cgroup.controllers"));
        return text == null ? List.of() : List.of(text.strip().split("\\s+"));
    }

    private static boolean isRoot() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .filter(l -> l.startsWith("Uid:")).map(l -> l.split("\\s+")[2]).findFirst().orElse("").equals("0");
        } catch (IOException e) {
            return false;
        }
    }

    /** The highest cgroup above this process that this user owns (systemd's delegated subtree), or null. */
    private static Path delegated(Path mount) {
        try {
            String own = Files.readAllLines(Path.of("/proc/self/cgroup")).stream().filter(l -> l.startsWith("0::"))
                    .map(l -> l.substring(3)).findFirst().orElse(null);
            if (own == null) return null;
            UserPrincipal me = Files.getOwner(Path.of("/proc/self"));
            Path dir = mount.resolve(own.startsWith("/") ? own.substring(1) : own), best = null;
            while (dir != null && dir.startsWith(mount) && !dir.equals(mount)) {
                if (!Files.getOwner(dir).equals(me)) break;
                best = dir;
                dir = dir.getParent();
            }
            return best;
        } catch (IOException e) {
            return null;
        }
    }
}
