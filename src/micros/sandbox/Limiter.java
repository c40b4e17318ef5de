package micros.sandbox;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

import micros.util.Units;
import micros.runtime.RunConfig;

/**
 * Space's memory and process limits for one run: a parent cgroup named {@code micros-<pid>}
 * (so a later run can recognise a dead run's groups) holding one group per micro.
 * Backends: cgroup v2; cgroup v1; hybrid (v1 limits, v2 core files for kill and tracking);
 * none, which still ends whole process trees and says which limits it cannot enforce.
 */
public final class Limiter {
    public enum Mode { V2, V1, HYBRID, NONE }

    private static final java.util.concurrent.atomic.AtomicInteger RUNS = new java.util.concurrent.atomic.AtomicInteger();

    private final Mode mode;
    private final String reason;        // why NONE
    private final RunConfig.Limits limits;
    private final CgroupFiles files;
    private final Path v2Parent, memoryParent, pidsParent; // this run's parents, or null
    private Path freezerParent;                             // v1 freezer parent, when there is no v2 tree
    private final List<String> cleaned = new ArrayList<>();

    private Limiter(Mode mode, String reason, RunConfig.Limits limits, CgroupFiles files, Path v2Parent, Path memoryParent, Path pidsParent) {
        this.mode = mode;
        this.reason = reason;
        this.limits = limits;
        this.files = files;
        this.v2Parent = v2Parent;
        this.memoryParent = memoryParent;
        this.pidsParent = pidsParent;
    }

    /** The reason of a limiter for remote micros: their platform (a container, Knative) limits them, not micros. */
    public static final String PLATFORM = "enforced by the platform";

    /** For `micros gateway`: no groups; the start-up lines, doctor and the dashboard say the platform limits the micros. */
    public static Limiter platform(RunConfig.Limits limits) {
        return none(limits, PLATFORM);
    }

    /** Whether the micros' memory, processes, sandbox and freezing are the platform's business. */
    public boolean byPlatform() {
        return mode == Mode.NONE && PLATFORM.equals(reason);
    }

    public static Limiter none(RunConfig.Limits limits, String reason) {
        return new Limiter(Mode.NONE, reason, limits, null, null, null, null);
    }

    /**
     * Finds how this machine can limit micros and creates the run's parent groups.
     * @param env     the environment (MICROS_CGROUP_ROOT points the v2 backend at another root)
     * @param journal sees every cgroup file write (tests record the protocol)
     */
    public static Limiter detect(RunConfig.Limits limits, Map<String, String> env, Consumer<String> journal) {
        if (!limits.cgroups()) return none(limits, "--no-limits was given");
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return none(limits, "cgroups exist only on Linux");
        CgroupFiles files = new CgroupFiles(journal);
        int n = RUNS.incrementAndGet(); // several emulators in one JVM (tests) each get their own parent
        String name = "micros-" + micros.util.Pids.self() + (n == 1 ? "" : "-" + n);
        Cgroups.Found found = Cgroups.find(env);
        try {
            switch (found.mode()) {
                case V2 -> {
                    Path parent = found.v2().resolve(name);
                    Limiter l = new Limiter(Mode.V2, null, limits, files, parent, null, null);
                    l.cleanStale();
                    enableControllers(files, found.v2());
                    files.mkdir(parent);
                    enableControllers(files, parent);
                    return l;
                }
                case V1, HYBRID -> {
                    Path core = found.mode() == Mode.HYBRID ? found.v2().resolve(name) : null;
                    Limiter l = new Limiter(found.mode(), null, limits, files, core, found.memory().resolve(name), found.pids().resolve(name));
                    if (core == null && found.freezer() != null && Files.isWritable(found.freezer())) l.freezerParent = found.freezer().resolve(name);
                    l.cleanStale();
                    files.mkdir(l.memoryParent);
                    files.mkdir(l.pidsParent);
                    if (core != null) files.mkdir(core);
                    if (l.freezerParent != null) files.mkdir(l.freezerParent);
                    return l;
                }
                default -> {
                    return none(limits, found.reason());
                }
            }
        } catch (AccessDeniedException e) {
            return none(limits, "no permission to create cgroups in " + e.getFile() + ": run as root, or under `systemd-run --user -p Delegate=yes --scope`");
        } catch (IOException e) {
            return none(limits, "cannot create cgroups (" + e + ")");
        }
    }

    /** "+memory +pids" in a v2 group's subtree_control, unless they are enabled already. */
    private static void enableControllers(CgroupFiles files, Path dir) throws IOException {
        Path control = dir.resolve("cgroup.subtree_control");
        String now = CgroupFiles.read(control);
        if (now != null && List.of(now.strip().split("\\s+")).containsAll(List.of("memory", "pids"))) return;
        files.write(control, "+memory +pids");
    }

    public Mode mode() {
        return mode;
    }

    /** Why there are no cgroups (NONE), else null. */
    public String reason() {
        return reason;
    }

    /** The group a micro runs in (made when it first starts); with no cgroups, its process tree. */
    public MicroGroup group(String micro) {
        return mode == Mode.NONE ? new TreeGroup() : new LazyGroup(this, micro);
    }

    MicroGroup create(String micro) throws IOException {
        return CgroupGroup.create(files, child(v2Parent, micro), mode == Mode.V2, child(memoryParent, micro), child(pidsParent, micro), child(freezerParent, micro),
                limits.memory(), limits.pids());
    }

    /** The name of a micro's build group: a micro's name has no dot, so no micro's group is called that. */
    static final String BUILD = "build.";

    /**
     * A new group for one build step of {@code micro} ({@link BuildSandbox}), under the micro's
     * memory and process limits, in place of what an earlier step left; null without cgroups.
     */
    MicroGroup buildGroup(String micro) throws IOException {
        if (mode == Mode.NONE) return null;
        String name = BUILD + micro;
        Path v2 = child(v2Parent, name), memory = child(memoryParent, name), pids = child(pidsParent, name), freezer = child(freezerParent, name);
        new CgroupGroup(files, v2, mode == Mode.V2, memory, pids, freezer, 0).remove(); // an earlier step's, if its removal failed
        return CgroupGroup.create(files, v2, mode == Mode.V2, memory, pids, freezer, limits.memory(), limits.pids());
    }

    private static Path child(Path dir, String name) {
        return dir == null ? null : dir.resolve(name);
    }

    /** The run's parent group in each hierarchy this machine uses. */
    private List<Path> parents() {
        List<Path> all = new ArrayList<>();
        for (Path p : new Path[] {v2Parent, memoryParent, pidsParent, freezerParent}) if (p != null) all.add(p);
        return all;
    }

    /**
     * Removes the run's parent groups, after the micros' own; what is still in them (a build's
     * group whose removal failed while its last tasks detached) is ended and removed first.
     */
    public void close() {
        List<Path> parents = parents();
        if (!parents.isEmpty()) removeRun(parents.get(0).getFileName().toString());
    }

    /** One line for the start-up output: "limits: memory 512 MiB, pids 1024 via cgroup v1; timeout 20s; payload 5.5 MiB". */
    public String summary() {
        String rest = "timeout " + Units.format(limits.timeout()) + "; payload " + Units.formatSize(limits.payload());
        if (byPlatform()) return "limits: " + rest + " (by micros); memory " + Units.formatSize(limits.memory()) + " and processes: " + PLATFORM;
        if (mode == Mode.NONE) return "limits: " + rest + "; memory and processes not enforced";
        String via = switch (mode) {
            case V2 -> "cgroup v2";
            case V1 -> "cgroup v1";
            default -> "cgroup v1 (hybrid: v2 core files for kill and tracking)";
        };
        List<String> parts = new ArrayList<>();
        if (limits.memory() > 0) parts.add("memory " + Units.formatSize(limits.memory()));
        if (limits.pids() > 0) parts.add("pids " + limits.pids());
        return "limits: " + (parts.isEmpty() ? "none" : String.join(", ", parts)) + " via " + via + "; " + rest;
    }

    /** One line per limit that is not enforced, and why (empty when all are). */
    public List<String> unenforced() {
        if (mode != Mode.NONE || byPlatform()) return List.of();
        return List.of("limits: memory (" + Units.formatSize(limits.memory()) + ") not enforced: " + reason,
                "limits: processes (" + limits.pids() + ") not enforced: " + reason);
    }

    /** Whether micros' groups can be frozen between requests, and how (for doctor and the start-up line). */
    public String freezing() {
        return switch (mode) {
            case V2, HYBRID -> "cgroup v2 cgroup.freeze";
            case V1 -> freezerParent != null ? "the cgroup v1 freezer" : null;
            default -> null;
        };
    }

    /** Stale groups a killed earlier run left, cleaned at start ("micros-4242 (2 micros)", "micros-4243 (0 micros, 1 build)"). */
    public List<String> cleaned() {
        return List.copyOf(cleaned);
    }

    /** Kills what runs in groups of dead runs and removes them. */
    private void cleanStale() {
        Set<String> stale = new TreeSet<>();
        for (Path parent : parents()) {
            try (Stream<Path> runs = Files.list(parent.getParent())) {
                for (Path run : (Iterable<Path>) runs::iterator) {
                    String n = run.getFileName().toString();
                    if (!n.matches("micros-[0-9]+(-[0-9]+)?") || !Files.isDirectory(run) || run.equals(parent)) continue;
                    long pid = Long.parseLong(n.substring(7).replaceAll("-.*", ""));
                    if (!(ProcessHandle.of(pid).map(micros.runtime.ProcessTree::running).orElse(false) && isMicros(pid))) stale.add(n);
                }
            } catch (IOException | RuntimeException ignored) {
                // nothing to clean, or not allowed to look
            }
        }
        for (String run : stale) {
            Set<String> groups = removeRun(run);
            long builds = groups.stream().filter(g -> g.startsWith(BUILD)).count(), micros = groups.size() - builds;
            cleaned.add(run + " (" + micros + " micro" + (micros == 1 ? "" : "s") + (builds == 0 ? "" : ", " + builds + " build" + (builds == 1 ? "" : "s")) + ")");
        }
    }

    /** Ends what runs in the groups of a run ({@code micros-<pid>}), removes them and the run's parents; returns the groups' names. */
    private Set<String> removeRun(String run) {
        Set<String> groups = new TreeSet<>();
        for (Path parent : parents()) {
            try (Stream<Path> in = Files.list(parent.resolveSibling(run))) {
                in.filter(Files::isDirectory).forEach(g -> groups.add(g.getFileName().toString()));
            } catch (IOException | RuntimeException ignored) {
                // not in this hierarchy
            }
        }
        // a group in every hierarchy at once, so it is thawed before it is killed (a task frozen by the v1 freezer ignores SIGKILL)
        for (String g : groups)
            new CgroupGroup(files, child(sibling(v2Parent, run), g), mode == Mode.V2, child(sibling(memoryParent, run), g),
                    child(sibling(pidsParent, run), g), child(sibling(freezerParent, run), g), 0).remove();
        for (Path parent : parents()) if (Files.isDirectory(parent.resolveSibling(run))) files.rmdir(parent.resolveSibling(run));
        return groups;
    }

    private static Path sibling(Path dir, String name) {
        return dir == null ? null : dir.resolveSibling(name);
    }

    /** Whether a live pid is another micros run (so its groups are not stale). */
    private static boolean isMicros(long pid) {
        try {
            String cmd = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
            return cmd.contains("micros") || cmd.contains("java");
        } catch (IOException e) {
            return false;
        }
    }
}
