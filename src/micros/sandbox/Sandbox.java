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
import micros.runtime.AppRuntime;
import micros.util.UserError;

/**
 * Space's filesystem for each process micro: a private mount namespace where every mount is
 * read-only (the micro's own code included) except a private /tmp of --tmp size, and, when
 * micros runs as root, an unprivileged user with no capabilities and no way to gain them.
 * Built from util-linux (unshare, mount, setpriv) through a small sh script: no native code.
 */
public final class Sandbox {
    public enum Mode { ROOT, USERNS, OFF }

    /** /tmp's backing: a fresh ext4 image on a loop device (exact ENOSPC, reclaimable page cache), or tmpfs. */
    public enum TmpKind { DISK, TMPFS }

    // Runs as root inside the new mount namespace; "$@" is the micro's command.
    static final String SCRIPT = String.join("\n",
            "set -e",
            "mode=$1 kind=$2 size=$3 uid=$4 gid=$5 src=$6 run=$7 img=$8 stage=$9; shift 10",
            "opath=$PATH; PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            "# the micro's code and micros' launchers stay reachable when the new /tmp hides the old one",
            "mount -t tmpfs -o size=64k,mode=755 micros-stage \"$stage\"",
            "mkdir \"$stage/src\" \"$stage/run\"",
            "mount --bind \"$src\" \"$stage/src\"",
            "mount --bind \"$run\" \"$stage/run\"",
            "if [ \"$kind\" = disk ]; then",
            "  # made through the staging bind mount: the loop device's open file must not pin / (it could not become read-only)",
            "  img=\"$stage/run/$img\"",
            "  truncate -s \"$size\" \"$img\"",
            "  mkfs.ext4 -q -F -O ^has_journal -E root_owner=\"$uid:$gid\" \"$img\" >/dev/null 2>&1",
            "  mount -o loop,nosuid,nodev \"$img\" /tmp",
            "  rm -f \"$img\"   # the loop device keeps the image; it goes when the micro does",
            "  chmod 1777 /tmp",
            "else",
            "  mount -t tmpfs -o size=\"$size\",mode=1777,nosuid,nodev micros-tmp /tmp",
            "fi",
            "case \"$src\" in /tmp/*) mkdir -p \"$src\" && mount --bind \"$stage/src\" \"$src\";; esac",
            "case \"$run\" in /tmp/*) mkdir -p \"$run\" && mount --bind \"$stage/run\" \"$run\";; esac",
            "# every mount read-only but /tmp and /proc (a bind remount changes the mount, never the filesystem)",
            "while read -r id parent dev root mp opts rest; do",
            "  case \"$mp\" in /tmp|/proc|/proc/*) continue;; esac",
            "  case \"$opts\" in ro|ro,*) continue;; esac",
            "  mount -o remount,bind,ro \"$mp\" 2>/dev/null || true",
            "done < /proc/self/mountinfo",
            "mount -o remount,bind,ro /",
            "[ -d /dev/shm ] && mount -o remount,bind,ro /dev/shm",
            "cd \"$src\"",
            "sp=$(command -v setpriv); PATH=$opath; export PATH",
            "if [ \"$mode\" = root ]; then",
            "  exec \"$sp\" --reuid=\"$uid\" --regid=\"$gid\" --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs -- \"$@\"",
            "fi",
            "exec \"$sp\" --inh-caps=-all --bounding-set=-all --no-new-privs -- \"$@\"");

    private final Mode mode;
    private final TmpKind tmp;
    private final long tmpSize;
    private final int uid, gid;
    private final String user;
    private final String reason; // why OFF

    private Sandbox(Mode mode, TmpKind tmp, long tmpSize, String user, int uid, int gid, String reason) {
        this.mode = mode;
        this.tmp = tmp;
        this.tmpSize = tmpSize;
        this.user = user;
        this.uid = uid;
        this.gid = gid;
        this.reason = reason;
    }

    public static Sandbox off(String reason) {
        return new Sandbox(Mode.OFF, TmpKind.TMPFS, 0, null, -1, -1, reason);
    }

    /**
     * What this machine allows. @param enabled false for --no-sandbox
     * @param user --user, a name or a uid ("nobody" by default)
     */
    public static Sandbox detect(boolean enabled, long tmpSize, String user) {
        if (!enabled) return off("--no-sandbox was given");
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return off("mount namespaces exist only on Linux");
        for (String tool : List.of("unshare", "mount", "setpriv"))
            if (onPath(tool) == null) return off(tool + " is not installed: install util-linux");
        if (isRoot()) {
            int[] ids = resolveUser(user);
            boolean disk = onPath("mkfs.ext4") != null && onPath("truncate") != null && Files.exists(Path.of("/dev/loop-control"));
            return new Sandbox(Mode.ROOT, disk ? TmpKind.DISK : TmpKind.TMPFS, tmpSize, user, ids[0], ids[1], null);
        }
        if (!userNamespacesWork()) return off("this user cannot create user namespaces: run as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)");
        return new Sandbox(Mode.USERNS, TmpKind.TMPFS, tmpSize, null, -1, -1, null);
    }

    public Mode mode() {
        return mode;
    }

    public String reason() {
        return reason;
    }

    public boolean on() {
        return mode != Mode.OFF;
    }

    /** An existing folder to mount a small staging tmpfs over, inside the micro's namespace only. */
    private static String stage() {
        for (String d : List.of("/mnt", "/media", "/srv", "/opt")) if (Files.isDirectory(Path.of(d))) return d;
        return "/mnt";
    }

    /** One line for the start-up output. */
    public String summary() {
        if (!on() && Limiter.PLATFORM.equals(reason)) return "sandbox: " + reason + " (each micro's container: read-only root, private /tmp, non-root)";
        if (!on()) return "sandbox: off (" + reason + "): micros can write anywhere this user can";
        return "sandbox: read-only filesystem, private " + Units.formatSize(tmpSize) + " /tmp ("
                + (tmp == TmpKind.DISK ? "disk-backed" : "tmpfs, counted in the memory limit") + "), "
                + (mode == Mode.ROOT ? "micros run as " + user + " (uid " + uid + ") without capabilities" : "in a user namespace without capabilities");
    }

    /** The command that builds the micro's filesystem view, drops privileges, then runs {@code argv}. */
    public List<String> wrap(List<String> argv, Path src, Path runDir, String micro) {
        if (!on()) return argv;
        List<String> out = new ArrayList<>(mode == Mode.ROOT
                ? List.of("unshare", "-m", "--propagation", "private")
                : List.of("unshare", "-U", "-r", "-m", "--propagation", "private"));
        out.addAll(List.of("/bin/sh", "-c", SCRIPT, "micros-sandbox", mode == Mode.ROOT ? "root" : "userns",
                tmp == TmpKind.DISK && mode == Mode.ROOT ? "disk" : "tmpfs", Long.toString(tmpSize),
                Integer.toString(Math.max(uid, 0)), Integer.toString(Math.max(gid, 0)), src.toString(), runDir.toString(),
                micro + ".tmp.img", stage(), "--"));
        if (!argv.get(0).contains("/")) out.addAll(List.of("/bin/sh", "-c", "exec \"$0\" \"$@\"")); // sh's PATH search skips folders the micro's user cannot enter; setpriv's does not
        out.addAll(argv);
        return out;
    }

    /**
     * The micro's user must reach and read its code: every folder above src traversable, src
     * readable. Says which path is not, and the fix.
     */
    public void checkReadable(String micro, Path src) {
        if (mode != Mode.ROOT) return;
        Path real;
        try {
            real = src.toRealPath();
        } catch (IOException e) {
            return; // reported elsewhere
        }
        List<Path> chain = new ArrayList<>();
        // under /tmp the micro sees src re-bound below freshly made folders: only src itself counts
        boolean underTmp = real.startsWith("/tmp") && !real.equals(Path.of("/tmp"));
        if (underTmp) chain.add(real);
        else for (Path p = real; p != null; p = p.getParent()) chain.add(0, p);
        for (Path p : chain) {
            boolean last = p.equals(real);
            if (!allowed(p, last ? Set.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE) : Set.of(PosixFilePermission.OTHERS_EXECUTE)))
                throw UserError.config("micro '" + micro + "': " + p + " cannot be " + (last ? "read" : "entered") + " by " + user + " (uid " + uid
                        + "), the user micros run as: make it " + (last ? "readable (chmod -R o+rX " + p + ")" : "enterable (chmod o+x " + p + ")")
                        + ", choose another user with --user, or run with --no-sandbox");
        }
    }

    /** Whether uid:gid has these permissions on p (as owner, group or other). */
    private boolean allowed(Path p, Set<PosixFilePermission> asOther) {
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

    /** uid and gid of a user name or number, from /etc/passwd. */
    static int[] resolveUser(String user) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length >= 4 && (f[0].equals(user) || f[2].equals(user))) return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
            }
        } catch (IOException | NumberFormatException ignored) {
            // below
        }
        if (user.matches("[0-9]+")) return new int[] {Integer.parseInt(user), Integer.parseInt(user)};
        if (user.equals("nobody")) return new int[] {65534, 65534};
        throw UserError.config("--user " + user + ": no such user in /etc/passwd; give a user name or a numeric uid");
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.split("\\s+")[2]).findFirst().orElse("").equals("0");
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean userNamespacesWork() {
        try {
            Process p = new ProcessBuilder("unshare", "-U", "-r", "-m", "true").redirectErrorStream(true).start();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Path onPath(String name) {
        Path p = AppRuntime.onPath(name);
        if (p != null) return p;
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) if (Files.isExecutable(Path.of(dir, name))) return Path.of(dir, name);
        return null;
    }
}
