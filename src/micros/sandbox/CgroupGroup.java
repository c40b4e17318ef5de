package micros.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import micros.util.Units;
import micros.runtime.ProcessTree;

/**
 * One micro's cgroup(s). With cgroup v2 it is one directory; with v1 a directory in the memory
 * and in the pids hierarchy, plus (hybrid) one in the v2 tree for cgroup.kill and cgroup.events.
 */
final class CgroupGroup implements MicroGroup {
    // a tiny wrapper: join each group, then become the micro (exec keeps the pid)
    static final String JOIN = "n=$1; shift; while [ \"$n\" -gt 0 ]; do echo $$ > \"$1/cgroup.procs\" || exit 125; shift; n=$((n-1)); done; exec \"$@\"";

    private final CgroupFiles files;
    private final Path v2;       // the v2 group (pure v2), or the v2 core group (hybrid); may be null
    private final boolean v2Limits;
    private final Path memory;   // v1 memory group, or null
    private final Path pids;     // v1 pids group, or null
    private final Path freezer;  // v1 freezer group (when there is no v2 group), or null
    private final long memoryLimit;
    private long oomBaseline, pidsBaseline;

    CgroupGroup(CgroupFiles files, Path v2, boolean v2Limits, Path memory, Path pids, Path freezer, long memoryLimit) {
        this.files = files;
        this.v2 = v2;
        this.v2Limits = v2Limits;
        this.memory = memory;
        this.pids = pids;
        this.freezer = freezer;
        this.memoryLimit = memoryLimit;
    }

    /** Creates the directories and writes the limits (v1 write order: memory before memory+swap when lowering). */
    static CgroupGroup create(CgroupFiles files, Path v2, boolean v2Limits, Path memory, Path pids, Path freezer, long memoryLimit, long pidsLimit) throws IOException {
        CgroupGroup g = new CgroupGroup(files, v2, v2Limits, memory, pids, freezer, memoryLimit);
        for (Path dir : g.dirs()) files.mkdir(dir);
        if (v2 != null && v2Limits) {
            if (memoryLimit > 0) {
                files.write(v2.resolve("memory.max"), Long.toString(memoryLimit));
                files.writeOptional(v2.resolve("memory.swap.max"), "0");
                files.writeOptional(v2.resolve("memory.oom.group"), "1"); // an OOM ends the whole micro, as on Space
            }
            if (pidsLimit > 0) files.write(v2.resolve("pids.max"), Long.toString(pidsLimit));
        }
        if (memory != null && memoryLimit > 0) {
            files.write(memory.resolve("memory.limit_in_bytes"), Long.toString(memoryLimit));
            files.writeIfPresent(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(memoryLimit)); // no swap
        }
        if (pids != null && pidsLimit > 0) files.write(pids.resolve("pids.max"), Long.toString(pidsLimit));
        return g;
    }

    List<Path> dirs() {
        List<Path> d = new ArrayList<>();
        if (memory != null) d.add(memory);
        if (pids != null) d.add(pids);
        if (freezer != null) d.add(freezer);
        if (v2 != null) d.add(v2);
        return d;
    }

    /** The directory whose cgroup.procs lists every process of the micro. */
    private Path tracking() {
        return v2 != null ? v2 : memory != null ? memory : pids;
    }

    @Override
    public List<String> wrap(List<String> argv) {
        List<Path> dirs = dirs();
        List<String> out = new ArrayList<>(List.of("/bin/sh", "-c", JOIN, "micros-join", Integer.toString(dirs.size())));
        for (Path d : dirs) out.add(d.toString());
        out.addAll(argv);
        return out;
    }

    @Override
    public void prepare() {
        if (!members().isEmpty()) killAll(null);
        oomBaseline = Math.max(0, oomKills());
        pidsBaseline = Math.max(0, refusals());
    }

    @Override
    public boolean terminate(ProcessHandle main, Duration grace) {
        thaw(); // a frozen task would not see the SIGTERM
        List<ProcessHandle> all = members();
        // the tree and session too: stopping must not depend on the group alone (a process the group lost, a group that kills nothing)
        List<ProcessHandle> tree = main == null ? List.of() : ProcessTree.members(main);
        for (ProcessHandle h : tree) if (!all.contains(h)) all.add(h);
        all.forEach(ProcessHandle::destroy);
        long until = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() < until) {
            if (members().isEmpty() && tree.stream().noneMatch(ProcessTree::running)) return false;
            sleep(10);
        }
        killAll(main);
        tree.forEach(ProcessHandle::destroyForcibly); // those that left the tree when its root ended
        return true;
    }

    @Override
    public void kill(ProcessHandle main) {
        killAll(main);
    }

    private void killAll(ProcessHandle main) {
        thaw(); // v1: a frozen task ignores SIGKILL until thawed (it hung ten minutes once)
        if (v2 != null) {
            try {
                files.writeIfPresent(v2.resolve("cgroup.kill"), "1");
            } catch (IOException ignored) {
                // older kernels: the signals below do it
            }
        }
        if (main != null) ProcessTree.kill(main);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        List<ProcessHandle> left;
        while (!(left = members()).isEmpty() && System.nanoTime() < until) { // forks may race the signals: repeat
            left.forEach(ProcessHandle::destroyForcibly);
            thaw();
            sleep(5);
        }
    }

    @Override
    public boolean canFreeze() {
        return (v2 != null && Files.exists(v2.resolve("cgroup.freeze"))) || freezer != null;
    }

    @Override
    public void freeze() {
        try {
            if (v2 != null && files.writeIfPresent(v2.resolve("cgroup.freeze"), "1")) return;
            if (freezer != null) files.write(freezer.resolve("freezer.state"), "FROZEN");
        } catch (IOException ignored) {
            // not frozen: the micro keeps running between requests, as with --no-freeze
        }
    }

    @Override
    public void thaw() {
        try {
            if (v2 != null && files.writeIfPresent(v2.resolve("cgroup.freeze"), "0")) return;
            if (freezer != null) files.write(freezer.resolve("freezer.state"), "THAWED");
        } catch (IOException ignored) {
            // gone already
        }
    }

    private List<ProcessHandle> members() {
        List<ProcessHandle> all = new ArrayList<>();
        for (Path d : dirs())
            for (ProcessHandle h : CgroupFiles.members(d))
                if (!all.contains(h)) all.add(h);
        return all;
    }

    private long oomKills() {
        if (v2 != null && v2Limits) return CgroupFiles.field(v2.resolve("memory.events"), "oom_kill");
        if (memory != null) return CgroupFiles.field(memory.resolve("memory.oom_control"), "oom_kill");
        return -1;
    }

    private long refusals() {
        if (v2 != null && v2Limits) return CgroupFiles.field(v2.resolve("pids.events"), "max");
        if (pids != null) return CgroupFiles.field(pids.resolve("pids.events"), "max");
        return -1;
    }

    @Override
    public String limitDeath() {
        long now = oomKills();
        if (now > oomBaseline) return "killed: out of memory (" + Units.formatSize(memoryLimit) + " limit)";
        return null;
    }

    @Override
    public long pidsRefused() {
        long now = refusals();
        return now < 0 ? 0 : now - pidsBaseline;
    }

    @Override
    public long memoryCurrent() {
        if (v2 != null && v2Limits) return CgroupFiles.number(v2.resolve("memory.current"));
        return memory == null ? -1 : CgroupFiles.number(memory.resolve("memory.usage_in_bytes"));
    }

    @Override
    public long memoryPeak() {
        if (v2 != null && v2Limits) return CgroupFiles.number(v2.resolve("memory.peak"));
        return memory == null ? -1 : CgroupFiles.number(memory.resolve("memory.max_usage_in_bytes"));
    }

    @Override
    public long pidsCurrent() {
        if (v2 != null && v2Limits) return CgroupFiles.number(v2.resolve("pids.current"));
        return pids == null ? -1 : CgroupFiles.number(pids.resolve("pids.current"));
    }

    @Override
    public void remove() {
        if (!members().isEmpty()) killAll(null);
        for (Path d : dirs()) if (Files.isDirectory(d)) files.rmdir(d);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
