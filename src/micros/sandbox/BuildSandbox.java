package micros.sandbox;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

import micros.runtime.ProcessTree;

/**
 * Where every build process runs (the virtualenv, pip, npm ci/install and the install scripts
 * it runs, npm run build, each `commands` line of --build): each step in a container of its
 * own, so that nothing it starts outlives it, whether it succeeds, fails, or micros stops.
 * The container is what this machine allows of:
 * <ul>
 * <li>a cgroup of the run, {@code build.<micro>} beside the micros' groups (a micro's name has
 *     no dot), emptied (cgroup.kill, SIGKILL to every member until none is left) and removed
 *     when the step ends; after a SIGKILLed micros, the next start's stale-run cleanup does it;</li>
 * <li>a pid namespace ({@code unshare --pid --fork --kill-child --mount-proc}, in a user
 *     namespace of micros' own uid without root) whose pid 1 is a shell running the step's
 *     command: when the command exits, so does pid 1, and the kernel ends everything left in
 *     the namespace; unshare dies with micros ({@code setpriv --pdeathsig KILL}), and the
 *     namespace with it;</li>
 * <li>its own session (setsid), ended with its process group and tree: what remains without
 *     cgroups and namespaces, said in one line at the first step.</li>
 * </ul>
 * The cgroup holds the micro's memory and process limits. Given a {@link Confinement} (the sandbox
 * is on), the step also runs without privileges in a root of its own ({@link MicroRoot#forBuild},
 * built by build.sh), as Space's builder container held it: the system folders, the build's tools,
 * the micro's build folder (only its stage, virtualenv and home writable), micros' run folder, the
 * owner's wheel folders, a private /tmp; nothing else of the machine. It runs as the micro's own
 * uid when micros runs as root; otherwise as micros' user, mapped to root of the step's user
 * namespace (to mount its root) and without privileges. Without a confinement (--no-sandbox,
 * --dev) it runs as the user who runs micros, as that user's own install would.
 */
public final class BuildSandbox {
    private final Limiter limiter;
    private final LongConsumer started, ended; // the state folder's record of processes, for the cleanup after a SIGKILL
    private final Consumer<String> say;
    private final Set<Running> live = ConcurrentHashMap.newKeySet();
    private boolean closed;      // guarded by this
    private Namespace namespace; // guarded by this
    private boolean toldUncontained;

    /**
     * @param started sees the pid of each step's first process, {@code ended} when the step is over
     * @param say     gets the one line that says builds are not contained, when they cannot be
     */
    public BuildSandbox(Limiter limiter, LongConsumer started, LongConsumer ended, Consumer<String> say) {
        this.limiter = limiter;
        this.started = started;
        this.ended = ended;
        this.say = say;
    }

    /**
     * What a confined step may see and do: run as {@code uid}:{@code gid} in {@code workdir}, in a root
     * holding the system folders, {@code programs} with their installations, the micro's {@code build}
     * folder (of it, only {@code writable} writable; its {@code tmp} folder as /tmp), micros' {@code run}
     * folder, and {@code readOnly} folders (the owner's wheel folders); {@code hidden} folders are covered
     * where a kept folder holds them.
     */
    public record Confinement(int uid, int gid, Path workdir, Path build, Path run, List<Path> writable, List<Path> readOnly,
                              List<Path> programs, List<Path> hidden) {
        /** uid and gid of a step that runs as micros' own user (not root): root of its own user namespace, without privileges. */
        public static final int OWN = -1;

        /** Whether the step keeps micros' own user (a user namespace maps it to root there), not a uid of the micro's. */
        public boolean ownUser() {
            return uid == OWN;
        }

        /** The step's /tmp on the host, emptied before and after each step. */
        public Path tmp() {
            return build.resolve("tmp");
        }
    }

    /** A step's processes, started by {@link #start}; {@link #close} ends whatever of them is left. */
    public final class Running implements AutoCloseable {
        private final Process process;
        private final MicroGroup group; // null without cgroups
        private final AtomicBoolean over = new AtomicBoolean();

        private final Path root; // the step's root (its skeleton and fstabs), or null

        private Running(Process process, MicroGroup group, Path root) {
            this.process = process;
            this.group = group;
            this.root = root;
        }

        /** The step's first process: its exit status is the step's command's. */
        public Process process() {
            return process;
        }

        /** Why the step's processes died when a limit killed them ("killed: out of memory (512 MiB limit)"), else null; before {@link #close}. */
        public String limitDeath() {
            return group == null ? null : group.limitDeath();
        }

        /** Ends every process of the step that is still running (SIGKILL) and removes its cgroup. */
        @Override
        public void close() {
            if (!over.compareAndSet(false, true)) return;
            ProcessTree.kill(process.toHandle()); // the namespace's holder first: the kernel then ends all in it
            if (group != null) group.remove();
            if (root != null) MicroRoot.delete(root);
            live.remove(this);
            ended.accept(process.pid());
        }
    }

    /**
     * Starts {@code pb}'s command (an absolute path) in a container of its own for a build step of
     * {@code micro}; the caller waits for {@link Running#process()}, then closes the result.
     * @param confined where and as whom the step runs, or null: as micros' user, seeing what it sees
     * @throws IOException when it cannot start, or micros is stopping
     */
    public Running start(String micro, ProcessBuilder pb, Confinement confined) throws IOException {
        Path root = null; // written before the lock: other micros' steps start meanwhile
        if (confined != null) {
            try {
                root = writeRoot(micro, confined, pb.command().get(0));
            } catch (IOException e) {
                throw new IOException("its build root could not be made (" + e.getMessage() + ")");
            }
        }
        boolean ok = false;
        try {
            Running r = start(micro, pb, confined, root);
            ok = true;
            return r;
        } finally {
            if (!ok && root != null) MicroRoot.delete(root);
        }
    }

    private Running start(String micro, ProcessBuilder pb, Confinement confined, Path root) throws IOException {
        synchronized (this) { // held while spawning: close() must not miss a step that is starting
            if (closed) throw new IOException("micros is stopping");
            Namespace ns = namespace();
            MicroGroup group = null;
            String noGroup = limiter.reason();
            try {
                group = limiter.buildGroup(micro);
            } catch (IOException e) {
                noGroup = "its cgroup could not be made (" + e.getMessage() + ")";
            }
            if (group == null && ns.unshare().isEmpty() && !toldUncontained) {
                toldUncontained = true;
                say.accept("builds: not contained (no cgroup: " + noGroup + "; no pid namespace: unshare cannot make one here):"
                        + " a step's processes are ended with its session and process group, which a process that calls setsid leaves");
            }
            if (confined != null && ns.unshare().isEmpty()) { // never run an install script as root where it was to run confined
                if (group != null) group.remove();
                throw new IOException("its sandbox cannot be made here (unshare cannot make a pid and mount namespace)");
            }
            List<String> inside = new ArrayList<>(confined != null && confined.ownUser() ? asRoot(ns.unshare()) : ns.unshare());
            if (root != null) inside.addAll(confine(confined, root, Sandbox.script(confined.run(), "micros-build", SCRIPT)));
            else if (!ns.unshare().isEmpty()) inside.addAll(PID1);
            inside.addAll(pb.command());
            List<String> argv = new ArrayList<>(ns.dying());
            if (SETSID != null) argv.add(SETSID); // its own session: the terminal's Ctrl-C reaches micros alone, which ends the step
            argv.addAll(group == null ? inside : group.wrap(inside));
            pb.command(argv);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                if (group != null) group.remove();
                throw e;
            }
            Running r = new Running(p, group, root);
            live.add(r);
            started.accept(p.pid());
            return r;
        }
    }

    /** Ends every step still running and refuses new ones: micros is stopping. */
    public void close() {
        synchronized (this) {
            closed = true;
        }
        for (Running r : List.copyOf(live)) r.close();
    }

    /** Whether micros is stopping (a step that ended now was ended by {@link #close}). */
    public synchronized boolean closed() {
        return closed;
    }

    private static final String SETSID = tool("setsid");

    // pid 1 of an unconfined step: its command in the foreground of a shell, which reaps orphans while it waits; the
    // command keeps the signals and exit status it had (as pid 1 itself, it would ignore every signal it does not handle)
    private static final List<String> PID1 = List.of("/bin/sh", "-c", "\"$@\"; exit $?", "micros-build");

    private static final String SCRIPT = script();

    private static String script() {
        try (java.io.InputStream in = BuildSandbox.class.getResourceAsStream("build.sh")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the jar lacks micros/sandbox/build.sh", e);
        }
    }

    /**
     * pid 1 of a confined step: build.sh ({@code script}, a file of the run folder: ps shows its path), which
     * builds its root, pivots into it and runs the step as the micro's uid (or keeps micros' user: "-").
     */
    private static List<String> confine(Confinement c, Path root, Path script) {
        return List.of("/bin/sh", script.toString(), c.ownUser() ? "-" : Integer.toString(c.uid()), c.ownUser() ? "-" : Integer.toString(c.gid()),
                c.workdir().toString(), root.toString(), "--");
    }

    /**
     * The namespace of a confined step when micros is not root: micros' user maps to root of the step's
     * user namespace, which may then mount its root (build.sh drops every privilege before the step runs).
     */
    private static List<String> asRoot(List<String> unshare) {
        List<String> out = new ArrayList<>(unshare);
        int i = out.indexOf("--map-current-user");
        if (i >= 0) out.set(i, "--map-root-user");
        return out;
    }

    private final java.util.concurrent.atomic.AtomicLong roots = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Writes the step's root in the run folder's roots (which no root shows): its program (an absolute path
     * micros picked: the interpreter, npm, /bin/sh) kept with the build's tools (among them the interpreter
     * the micro's virtualenv was made from; what the virtualenv's own links lead to, a step may rewrite).
     */
    private Path writeRoot(String micro, Confinement c, String program) throws IOException {
        List<Path> programs = new ArrayList<>(c.programs());
        if (program.startsWith("/")) programs.add(Path.of(program));
        Path dir = c.run().resolve("roots").resolve(micro + ".build" + ProcessHandle.current().pid() + "-" + roots.incrementAndGet());
        java.nio.file.Files.createDirectories(dir.getParent());
        MicroRoot.forBuild(c.build(), c.writable(), c.tmp(), c.run(), programs, c.readOnly(), c.hidden()).write(dir);
        return dir;
    }

    /**
     * How a step gets a pid namespace: {@code unshare} goes right before its pid 1, {@code dying}
     * first of all (setpriv --pdeathsig KILL: unshare, and so the namespace, dies with micros);
     * both empty when unshare cannot make one here.
     */
    private record Namespace(List<String> dying, List<String> unshare) {}

    /** Probed at the first step (a run whose installs are up to date spawns nothing), then kept. */
    private Namespace namespace() {
        if (namespace != null) return namespace;
        namespace = new Namespace(List.of(), List.of());
        String unshare = tool("unshare"), setpriv = tool("setpriv");
        if (unshare == null) return namespace;
        List<String> ns = new ArrayList<>(List.of(unshare));
        if (!Sandbox.isRoot()) ns.addAll(List.of("--user", "--map-current-user")); // micros' own uid inside, without privileges
        // its own /proc needs a mount namespace: slave, so that what the host mounts later (autofs) still shows in it
        ns.addAll(List.of("--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "slave", "--"));
        List<List<String>> tries = setpriv == null ? List.of(List.of()) : List.of(List.of(setpriv, "--pdeathsig", "KILL", "--"), List.of());
        for (List<String> dying : tries) {
            List<String> probe = new ArrayList<>(dying);
            probe.addAll(ns);
            probe.add("true");
            if (!runs(probe)) continue;
            return namespace = new Namespace(dying, List.copyOf(ns));
        }
        return namespace;
    }

    private static String tool(String name) {
        Path p = Sandbox.onPath(name);
        return p == null ? null : p.toString();
    }

    private static boolean runs(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor(5, TimeUnit.SECONDS)) return p.exitValue() == 0;
            p.destroyForcibly();
            return false;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
