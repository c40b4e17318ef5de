package micros.sandbox;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import micros.util.Units;

/**
 * Space's one VM per micro, as far as namespaces go: each process micro in its own mount and
 * pid namespaces, in a root of its own that holds the system's runtime folders, its interpreter,
 * its code and build folder and micros' run folder, all read-only (see {@link MicroRoot}), and a
 * private /tmp of --tmp size; /proc shows the micro's processes only; when micros runs as root,
 * each micro as its own unprivileged user (see {@link MicroUsers}) with no capabilities and no
 * way to gain them; otherwise in its own user namespace. Built from util-linux (unshare, mount,
 * pivot_root, setpriv) through a small sh script, sandbox.sh.
 */
public final class Sandbox {
    public enum Mode { ROOT, USERNS, OFF }

    /** /tmp's backing: a fresh ext4 image on a loop device (exact ENOSPC, reclaimable page cache), or tmpfs. */
    public enum TmpKind { DISK, TMPFS }

    // pid 1 of the micro's namespaces, as root there; its arguments are documented at its top
    static final String SCRIPT = script();

    private static String script() {
        try (java.io.InputStream in = Sandbox.class.getResourceAsStream("sandbox.sh")) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the jar lacks micros/sandbox/sandbox.sh", e);
        }
    }

    /** What a micro can reach over the network; there is no network namespace (measured: see the README). */
    static final String NETWORK = "network not isolated: any local process can connect to a micro's port directly, bypassing the gateway";

    private final Mode mode;
    private final TmpKind tmp;
    private final long tmpSize;
    private final MicroUsers users;  // ROOT mode only
    private final boolean envReset;  // env --default-signal works (coreutils 8.31+)
    private final String reason; // why OFF

    private Sandbox(Mode mode, TmpKind tmp, long tmpSize, MicroUsers users, boolean envReset, String reason) {
        this.mode = mode;
        this.tmp = tmp;
        this.tmpSize = tmpSize;
        this.users = users;
        this.envReset = envReset;
        this.reason = reason;
    }

    public static Sandbox off(String reason) {
        return new Sandbox(Mode.OFF, TmpKind.TMPFS, 0, null, false, reason);
    }

    /** The default --user: none, each micro gets the next free uid from 900000. */
    public static String defaultUser() {
        return null;
    }

    /** Gives back the uids this run claimed. */
    public void close() {
        if (users != null) users.release();
    }

    /**
     * What this machine allows. @param enabled false for --no-sandbox
     * @param user --user, a name or a uid: the first micro's user; each next micro gets the next uid (null: free uids from 900000)
     */
    public static Sandbox detect(boolean enabled, long tmpSize, String user) {
        if (!enabled) return off("--no-sandbox was given");
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return off("mount namespaces exist only on Linux");
        for (String tool : List.of("unshare", "mount", "setpriv", "pivot_root"))
            if (onPath(tool) == null) return off(tool + " is not installed: install util-linux");
        boolean root = isRoot();
        List<String> unshare = root ? List.of("unshare", "-m", "-p", "-i", "-f") : List.of("unshare", "-U", "-r", "-m", "-p", "-i", "-f");
        // one probe for both: the namespaces, and coreutils' env resetting ignored signals (8.31+)
        boolean envReset = run(concat(unshare, List.of("/usr/bin/env", "--default-signal=INT", "true")));
        if (!envReset && !run(concat(unshare, List.of("true"))))
            return off(root ? "unshare cannot create mount, pid and IPC namespaces here (a container without CAP_SYS_ADMIN?): run micros where root may, or with --no-sandbox"
                    : "this user cannot create user, mount and pid namespaces: run as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)");
        if (root) {
            MicroUsers users = new MicroUsers(user);
            boolean disk = onPath("mkfs.ext4") != null && onPath("truncate") != null && Files.exists(Path.of("/dev/loop-control"));
            return new Sandbox(Mode.ROOT, disk ? TmpKind.DISK : TmpKind.TMPFS, tmpSize, users, envReset, null);
        }
        return new Sandbox(Mode.USERNS, TmpKind.TMPFS, tmpSize, null, envReset, null);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    public Mode mode() {
        return mode;
    }

    /** Whether each micro's /tmp is a disk image made in the run folder, or a tmpfs. */
    TmpKind tmpKind() {
        return tmp;
    }

    public String reason() {
        return reason;
    }

    public boolean on() {
        return mode != Mode.OFF;
    }

    /** An isolation property, whether this machine gives it to micros, and how or why not (for doctor). */
    public record Property(String name, boolean on, String how) {}

    public List<Property> properties() {
        String tmpHow = tmp == TmpKind.DISK ? "a fresh disk-backed ext4 image" : "a tmpfs counted in the memory limit";
        return List.of(
                new Property("read-only filesystem", on(), on() ? "a root of the micro's own, read-only but its private /tmp ("
                        + tmpHow + "): the system's runtime folders (/usr, /lib*, /bin, /etc), its interpreter, its code and build folder; no /home, /root, /srv, /opt, /var, /run, nor other projects" : reason),
                new Property("pid namespace", on(), on() ? "each micro in its own (unshare -p): its /proc lists its processes only; micros and other micros cannot be named or signalled" : reason),
                new Property("user per micro", mode == Mode.ROOT, switch (mode) {
                    case ROOT -> "each process micro its own uid and gid (free ones from 900000, or counting up from --user), no capabilities (setpriv)";
                    case USERNS -> "micros is not root: every micro runs as this user, each in its own user namespace without capabilities; run as root for a uid per micro";
                    default -> reason;
                }),
                new Property("network", false, "not isolated: micros share the host's network, so any local process, another micro included, can connect to a micro's port directly, bypassing the gateway (a network namespace per micro would need a relay into it, and outbound traffic new tools)"));
    }

    /** One line for the start-up output. */
    public String summary() {
        if (!on() && Limiter.PLATFORM.equals(reason)) return "sandbox: " + reason + " (each micro's container: read-only root, private /tmp, non-root)";
        if (!on()) return "sandbox: off (" + reason + "): micros can write anywhere this user can, and see and signal each other and micros";
        return "sandbox: read-only filesystem of the system, the interpreter and the micro's code only, private " + Units.formatSize(tmpSize) + " /tmp ("
                + (tmp == TmpKind.DISK ? "disk-backed" : "tmpfs, counted in the memory limit") + "), "
                + (mode == Mode.ROOT ? "micros run as " + users.describe() + " without capabilities" : "in a user namespace without capabilities")
                + ", each instance in its own pid namespace; " + NETWORK;
    }

    /**
     * The command that builds the micro's root (see {@link MicroRoot}) in new mount and pid namespaces,
     * drops privileges, then runs {@code argv} under an init that reaps orphans. What stays in {@code ps}
     * is short: {@code unshare ... /bin/sh RUN/micros-sandbox MICRO ARGV} for the namespaces'
     * holder and the init, then the micro's own command; the script is a file in the run folder
     * and its settings go in its environment, which it clears before the micro starts.
     * @param state    micros' state folder: of it the micro sees {@code build/<micro>} only
     * @param hidden   folders no micro sees (the owner's folder, micros' CA): covered where a kept folder holds them; so is
     *                 the first folder on the way to {@code src} the micro's user cannot enter
     * @param programs the executables PATH picks for the micro ({@link #programs}): kept with their installation
     */
    public List<String> wrap(List<String> argv, Path src, Path runDir, Path state, String micro, List<Path> hidden, List<Path> programs) throws IOException {
        if (!on()) return argv;
        int[] ids = mode == Mode.ROOT ? users.of(micro) : new int[] {0, 0};
        if (tmp == TmpKind.DISK && mode == Mode.ROOT) imagesFolder(runDir);
        Path root = runDir.resolve("roots").resolve(micro);
        if (!Files.isDirectory(root)) { // once per micro and run
            List<Path> covered = new ArrayList<>(hidden);
            if (!covered.contains(state.toAbsolutePath().normalize())) covered.add(state.toAbsolutePath().normalize());
            Path blocked = mode == Mode.ROOT ? blocker(src, ids[0], ids[1]) : null;
            if (blocked != null && blocked.getParent() != null) covered.add(blocked);
            Path build = state.toAbsolutePath().normalize().resolve("build").resolve(micro);
            Files.createDirectories(root.getParent());
            MicroRoot.of(src.toAbsolutePath().normalize(), Files.isDirectory(build) ? build : null, runDir.toAbsolutePath().normalize(), programs, covered,
                    tmp == TmpKind.DISK && mode == Mode.ROOT ? null : "size=" + tmpSize + ",mode=1777,nosuid,nodev").write(root);
        }
        // the outer sh hands its pid (the namespace's holder, the pid micros reports) and the settings to the script
        List<String> out = new ArrayList<>(List.of("/bin/sh", "-c", OUTER, "micros-sandbox", mode == Mode.ROOT ? "root" : "userns",
                tmp == TmpKind.DISK && mode == Mode.ROOT ? "disk" : "tmpfs", Long.toString(tmpSize),
                Integer.toString(ids[0]), Integer.toString(ids[1]), src.toString(), runDir.toString(), root.toString(), envReset ? "1" : "0"));
        out.addAll(mode == Mode.ROOT
                ? List.of("unshare", "-m", "-p", "-i", "--kill-child", "--propagation", "private")
                : List.of("unshare", "-U", "-r", "-m", "-p", "-i", "--kill-child", "--propagation", "private"));
        out.addAll(List.of("/bin/sh", script(runDir, "micros-sandbox", SCRIPT).toString(), micro));
        out.addAll(argv);
        return out;
    }

    /** The executables PATH ({@code path}) picks for a micro's command and the runtimes it needs: what its root keeps beyond the system. */
    public static List<Path> programs(List<String> argv, java.util.Collection<String> runtimes, String path) {
        return MicroRoot.programs(argv, runtimes, path);
    }

    /** Gives the micro its uid now, so uids go in Spacefile order; says in one sentence why it cannot have one. */
    public void assign(String micro) {
        if (mode == Mode.ROOT) users.of(micro);
    }

    /** The uid and gid the micro, and its build, run as: micros runs as root with the sandbox on; else null (as micros' own user). */
    public int[] ids(String micro) {
        return mode == Mode.ROOT ? users.of(micro) : null;
    }

    /** The settings sandbox.sh reads from its environment, in the order wrap gives them. */
    static final String OUTER = "export MICROS_SANDBOX_PID=$$; for v in MODE TMP SIZE UID GID SRC RUN ROOT ENVRESET; do"
            + " export \"MICROS_SANDBOX_$v=$1\"; shift; done; exec \"$@\"";

    /**
     * Where sandbox.sh makes each instance's /tmp image: root's alone (0700), so no micro, which sees
     * the run folder, can name an image, let alone open one while it is made (it would read that
     * instance's /tmp through it for good).
     */
    private static synchronized void imagesFolder(Path runDir) throws IOException {
        Path images = runDir.resolve("images");
        if (Files.isDirectory(images, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Files.createDirectory(images, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(images, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")); // whatever the umask
    }

    /**
     * A script as a file {@code name} of the run folder (written once per run folder, which only micros
     * can write), so that {@code ps} shows {@code /bin/sh RUN/NAME ...} rather than the script's text.
     */
    static synchronized Path script(Path runDir, String name, String text) throws IOException {
        Path file = runDir.resolve(name);
        if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Path part = Files.writeString(runDir.resolve(name + ".part"), text);
            Files.setPosixFilePermissions(part, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(part, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return file;
    }

    /**
     * The first folder on the way to {@code target} that uid:gid cannot enter (a home of mode 0700),
     * or null. The micro's sandbox covers it with an empty folder and puts its code back below it.
     */
    public static Path blocker(Path target, int uid, int gid) {
        if (uid == 0) return null;
        Path abs = target.toAbsolutePath().normalize(), p = abs.getRoot();
        for (Path part : abs) {
            p = p.resolve(part);
            if (!allowed(p, Set.of(PosixFilePermission.OTHERS_EXECUTE), uid, gid)) return p;
        }
        return null;
    }

    /** Whether uid:gid has these permissions on p (as owner, group or other). */
    private static boolean allowed(Path p, Set<PosixFilePermission> asOther, int uid, int gid) {
        try {
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class);
            Set<PosixFilePermission> perms = a.permissions();
            int owner = (int) Files.getAttribute(p, "unix:uid"), group = (int) Files.getAttribute(p, "unix:gid");
            boolean read = asOther.contains(PosixFilePermission.OTHERS_READ);
            if (owner == uid) return perms.contains(PosixFilePermission.OWNER_EXECUTE) && (!read || perms.contains(PosixFilePermission.OWNER_READ));
            if (group == gid) return perms.contains(PosixFilePermission.GROUP_EXECUTE) && (!read || perms.contains(PosixFilePermission.GROUP_READ));
            return perms.containsAll(asOther);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return true; // cannot tell: the micro's own error will say
        }
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.split("\\s+")[2]).findFirst().orElse("").equals("0");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static Path onPath(String name) {
        Path p = micros.util.Programs.onPath(name);
        if (p != null) return p;
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) if (Files.isExecutable(Path.of(dir, name))) return Path.of(dir, name);
        return null;
    }
}
