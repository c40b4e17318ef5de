package micros.sandbox;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A process micro's root, as a Lambda VM held it: the system's runtime folders, the interpreter
 * it runs, its code and build environment, micros' run folder, and its private /tmp; nothing else
 * of the machine (no /home, /root, /srv, /opt, /var, /run, /mnt, no other project). Made here once
 * per micro and run as a skeleton (its mount points and links) and two fstabs; sandbox.sh binds
 * the kept folders into the skeleton, read-only, and pivots into it.
 */
final class MicroRoot {
    /** The system's runtime folders: programs, libraries, and /etc (DNS, hosts, CA certificates, time zone, users). */
    static final List<Path> SYSTEM = paths("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc");
    /** The devices programs open, each bound from the host's /dev (no disks, no terminals). */
    static final List<String> DEVICES = List.of("null", "zero", "full", "random", "urandom", "tty");
    /** CA bundles below /etc that TLS libraries open by name: kept where they link out of the system folders. */
    private static final List<Path> CA_FILES = paths("/etc/ssl/cert.pem", "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/cert.pem", "/etc/pki/tls/certs/ca-bundle.crt");
    /** The folders a root always has: its own /proc, the host's /sys (read-only), /dev's devices, /tmp. */
    private static final List<Path> OWN = paths("/proc", "/sys", "/dev", "/tmp");

    /** One fstab line: what goes where, of which type, with which options. */
    private record Mount(String source, Path target, String type, String options) {
        String line() {
            return escape(source) + ' ' + escape(target.toString()) + ' ' + type + ' ' + options + " 0 0\n";
        }

        boolean underTmp() {
            return under(target, Path.of("/tmp"));
        }
    }

    private final List<Mount> mounts = new ArrayList<>();
    private final List<Path> files = new ArrayList<>(), folders = new ArrayList<>(); // mount points of the skeleton
    private final List<Path[]> links = new ArrayList<>();                             // {where, what it names}
    private final List<Path> kept = new ArrayList<>();                                // folders bound in from the host
    private final List<Path> own = new ArrayList<>();                                 // the micro's code, build folder, run folder
    private final List<Path> writable = new ArrayList<>();                            // a build's mounts left writable (build.sh reads them)

    private MicroRoot() {}

    /**
     * @param code     the micro's code, and its build folder (its stage, virtualenv, home), or null
     * @param run      micros' run folder: launchers, the deta library, the CA bundle SSL_CERT_FILE names
     * @param programs the executables PATH picks for the micro (see {@link #programs}): kept with their installation when outside the system folders
     * @param hidden   folders no micro sees (the owner's folder, micros' state folder and CA): covered where a kept folder holds them
     * @param tmp      the options of a tmpfs /tmp, or null when sandbox.sh makes a disk-backed one
     */
    static MicroRoot of(Path code, Path build, Path run, Collection<Path> programs, Collection<Path> hidden, String tmp) {
        List<Path> own = new ArrayList<>();
        if (build != null) own.add(build);
        own.add(code);
        own.add(run);
        MicroRoot r = root(own, run, programs, hidden);
        if (tmp != null) r.mounts.add(new Mount("micros-tmp", Path.of("/tmp"), "tmpfs", tmp));
        return r;
    }

    /**
     * A build step's root, as Space's builder container held it: the system folders, the build's tools
     * and their installations, the micro's build folder (its stage, virtualenv, home), micros' run folder
     * (the CA bundle), the wheel folders the owner named, and {@code tmp} as its /tmp; nothing else.
     * @param writable folders of the build folder the step writes: mounts of their own, which build.sh leaves writable
     * @param readOnly folders the owner's environment names for installs (PIP_FIND_LINKS), bound at their own paths
     */
    static MicroRoot forBuild(Path build, Collection<Path> writable, Path tmp, Path run, Collection<Path> programs,
                              Collection<Path> readOnly, Collection<Path> hidden) {
        List<Path> own = new ArrayList<>(List.of(build, run));
        // a folder that holds the build or run folder (PIP_FIND_LINKS=/) would bring them in read-only, and the rest with them
        for (Path p : readOnly) if (p.getNameCount() > 0 && !under(build, p) && !under(run, p)) own.add(p);
        MicroRoot r = root(own, run, programs, hidden);
        for (Path w : writable) {
            if (!Files.isDirectory(w) || r.own.stream().anyMatch(w::equals)) continue;
            r.bind(w);
            r.writable.add(w.toAbsolutePath().normalize());
        }
        r.mounts.add(new Mount(tmp.toString(), Path.of("/tmp"), "none", "bind"));
        return r;
    }

    /** What both roots hold: the system, the programs' installations, /sys, /dev, {@code own} (run among them) at their own paths, a /proc. */
    private static MicroRoot root(List<Path> own, Path run, Collection<Path> programs, Collection<Path> hidden) {
        MicroRoot r = new MicroRoot();
        r.own.addAll(own);
        for (Path p : SYSTEM) r.system(p);
        r.etcLinks();
        for (Path p : programs) r.program(p, hidden);
        r.keepFolder(Path.of("/sys"));
        for (String d : DEVICES) r.keepFile(Path.of("/dev", d));
        r.folders.add(Path.of("/dev/shm")); // empty and read-only: no shared memory, as on Lambda
        r.links.add(new Path[] {Path.of("/dev/fd"), Path.of("/proc/self/fd")});
        String[] std = {"stdin", "stdout", "stderr"};
        for (int fd = 0; fd < std.length; fd++) r.links.add(new Path[] {Path.of("/dev", std[fd]), Path.of("/proc/self/fd/" + fd)});
        // where a kept or own folder holds a hidden one (a project in /usr/src, micros' CA in a home that holds the
        // owner's wheels), an empty folder covers it (and what it holds)
        List<Path> covers = new ArrayList<>(), shown = new ArrayList<>(r.kept);
        shown.addAll(r.own);
        for (Path h : hidden.stream().sorted(Comparator.comparingInt(Path::getNameCount)).toList())
            if (shown.stream().anyMatch(k -> under(h, k) && !h.equals(k)) && covers.stream().noneMatch(c -> under(h, c))) covers.add(h);
        for (Path c : covers) r.mounts.add(new Mount("micros-hidden", c, "tmpfs", "size=16k,mode=755,nosuid,nodev"));
        // its code, build environment and micros' run folder, at their own paths, even below a hidden folder
        for (Path p : r.own) if (r.own.stream().noneMatch(o -> under(p, o) && !p.equals(o))) r.bind(p);
        r.mounts.add(new Mount("micros-hidden", run.resolve("roots"), "tmpfs", "size=4k,mode=755,nosuid,nodev")); // the other micros' roots
        r.mounts.add(new Mount("micros-pid", Path.of("/proc"), "proc", "nosuid,nodev,noexec"));
        for (Path p : OWN) r.folders.add(p);
        return r;
    }

    /** A system folder: bound when a folder, the same link when a link (/bin -> usr/bin), and what that link names kept. */
    private void system(Path p) {
        try {
            if (Files.isSymbolicLink(p)) {
                links.add(new Path[] {p, Files.readSymbolicLink(p)});
                Path real = p.toRealPath();
                if (!kept(real)) keepFolder(real);
            } else if (Files.isDirectory(p)) {
                keepFolder(p);
            }
        } catch (IOException e) {
            // a dangling link: nothing to keep
        }
    }

    /** What /etc's own links name outside the system folders (resolv.conf -> /run/systemd/resolve/stub-resolv.conf). */
    private void etcLinks() {
        List<Path> links = new ArrayList<>(CA_FILES);
        try (DirectoryStream<Path> etc = Files.newDirectoryStream(Path.of("/etc"))) {
            for (Path p : etc) links.add(p);
        } catch (IOException e) {
            return;
        }
        for (Path p : links) {
            if (!Files.isSymbolicLink(p)) continue;
            try {
                Path real = p.toRealPath();
                if (kept(real) || under(real, Path.of("/proc"))) continue;
                if (Files.isDirectory(real)) keepFolder(real);
                else if (Files.isRegularFile(real)) keepFile(real);
            } catch (IOException e) {
                // dangling: as on the host
            }
        }
    }

    /**
     * An interpreter outside the system folders (/opt/node/bin/node, ~/.nvm/versions/node/v20/bin/node,
     * /opt/python3.12/bin/python3.12 that a virtualenv was made from): its folder on PATH, and its
     * installation, the folder above the bin folder that holds the file it resolves to (npm and the
     * standard library live there); never a whole home or top-level folder, nor anything hidden.
     */
    private void program(Path p, Collection<Path> hidden) {
        // in the micro's own folders (its virtualenv's python): a link its build may have rewritten, so what it
        // leads to is never kept; the interpreter micros made the virtualenv from is given as a program of its own
        if (own.stream().anyMatch(o -> under(p, o))) return;
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            return;
        }
        for (Path[] found : new Path[][] {{installation(real.getParent()), real}, {p.getParent(), p}}) { // (the installation holds its bin folder)
            Path folder = found[0], file = found[1];
            if (folder == null || kept(file) || hidden.stream().anyMatch(h -> under(file, h))) continue;
            if (broad(folder)) keepFile(file);
            else if (hidden.stream().noneMatch(h -> under(folder, h))) keepFolder(folder);
        }
    }

    private static Path installation(Path bin) {
        if (bin == null) return null;
        String name = bin.getFileName() == null ? "" : bin.getFileName().toString();
        return (name.equals("bin") || name.equals("sbin")) && bin.getParent() != null && !broad(bin.getParent()) ? bin.getParent() : bin;
    }

    /** The root, a top-level folder, or a home: never kept whole. */
    private static boolean broad(Path folder) {
        return folder.getNameCount() < 2 || HOMES.contains(folder)
                || folder.getNameCount() == 2 && (folder.startsWith("/home") || folder.startsWith("/root"));
    }

    /** The home of micros' user as the password file and as its environment name it: they differ for nobody, under sudo -E, in CI. */
    private static final List<Path> HOMES = homes();

    private static List<Path> homes() {
        List<Path> out = new ArrayList<>();
        for (String home : new String[] {System.getProperty("user.home"), System.getenv("HOME")}) {
            if (home == null || !home.startsWith("/")) continue;
            Path p = Path.of(home).normalize();
            out.add(p);
            try {
                out.add(p.toRealPath()); // a home reached through a link is the same home
            } catch (IOException e) {
                // not there: its path alone
            }
        }
        return List.copyOf(out);
    }

    private void keepFolder(Path p) {
        if (kept(p)) return;
        kept.removeIf(k -> under(k, p));
        mounts.removeIf(m -> m.type.equals("none") && under(m.target, p));
        kept.add(p);
        mounts.add(new Mount(p.toString(), p, "none", "rbind,X-mount.mkdir")); // (made in /tmp, or in a covered folder)
    }

    private void keepFile(Path p) {
        if (kept(p)) return;
        files.add(p);
        mounts.add(new Mount(p.toString(), p, "none", "bind"));
    }

    /** Bound at its own path, made where the skeleton, a covered folder or the new /tmp lacks it (not recursive: the run folder holds the roots). */
    private void bind(Path p) {
        mounts.add(new Mount(p.toString(), p, "none", "bind,X-mount.mkdir"));
    }

    /** Whether the root holds p already: in a kept folder, below a link of the root (/bin -> usr/bin), the micro's own. */
    private boolean kept(Path p) {
        return kept.stream().anyMatch(k -> under(p, k)) || links.stream().anyMatch(l -> under(p, l[0])) || own.stream().anyMatch(o -> under(p, o));
    }

    /**
     * Writes the root into {@code dir}: {@code root/} the skeleton, {@code early} what is mounted before
     * the micro's /tmp, {@code late} after it (what goes in /tmp, and the micro's /proc over the one
     * sandbox.sh keeps a handle on), {@code writable} the mounts build.sh leaves writable, one a line. Made in a sibling folder and moved into place, so a micro starting
     * at the same time finds the whole of it or nothing (then the first one's is kept).
     */
    void write(Path dir) throws IOException {
        // not createTempDirectory: its SecureRandom costs tens of ms at the first start
        Path part = Files.createDirectory(dir.resolveSibling(dir.getFileName() + ".part" + ProcessHandle.current().pid() + "-" + Thread.currentThread().getId()));
        try {
            Path root = Files.createDirectory(part.resolve("root"));
            for (Path f : folders) Files.createDirectories(inside(root, f));
            for (Mount m : mounts) if (!m.underTmp() && !files.contains(m.target)) Files.createDirectories(inside(root, m.target));
            for (Path f : files) {
                Files.createDirectories(inside(root, f).getParent());
                Files.createFile(inside(root, f));
            }
            for (Path[] l : links) {
                Files.createDirectories(inside(root, l[0]).getParent());
                Files.createSymbolicLink(inside(root, l[0]), l[1]);
            }
            readableByAll(root); // whatever micros' umask: the micro's user walks these folders
            Path base = dir.resolve("root");
            List<Mount> byDepth = new ArrayList<>(mounts);
            byDepth.sort(Comparator.comparingInt(m -> m.target.getNameCount())); // a folder before what is mounted in it
            StringBuilder early = new StringBuilder(escape(base.toString()) + ' ' + escape(base.toString()) + " none bind,ro 0 0\n"); // a mount to pivot into, read-only at once: its mount points are made
            StringBuilder late = new StringBuilder();
            for (Mount m : byDepth) {
                boolean proc = m.type.equals("proc");
                Mount at = new Mount(m.source, Path.of(base + m.target.toString()), m.type, m.options);
                (m.underTmp() ? late : early).append(at.line());
                if (proc) late.insert(0, new Mount("proc", at.target, "proc", m.options).line()); // the micro's: stacked on the first
            }
            Files.writeString(part.resolve("early"), early);
            Files.writeString(part.resolve("late"), late);
            StringBuilder rw = new StringBuilder();
            for (Path w : writable) rw.append(w).append('\n');
            Files.writeString(part.resolve("writable"), rw);
            try {
                Files.move(part, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isDirectory(dir)) throw raced;
                delete(part);
            }
        } catch (IOException | RuntimeException e) {
            delete(part);
            throw e;
        }
    }

    /**
     * The executables PATH picks for a micro: its command's program (the first word of a run line,
     * when a name PATH resolves), and the runtimes it needs (node for npm, whose script starts node
     * through PATH). A path in the run line (/srv/tool/run.sh) adds nothing: the root holds it only
     * when it lies in the system folders or the micro's code.
     */
    static List<Path> programs(List<String> argv, Collection<String> runtimes, String path) {
        Set<String> names = new LinkedHashSet<>(runtimes);
        if (!argv.isEmpty()) names.add(argv.get(0));
        if (argv.size() >= 3 && argv.get(0).equals("/bin/sh") && argv.get(1).equals("-c")) {
            String first = firstWord(argv.get(2));
            if (first != null) names.add(first);
        }
        if (names.contains("npm") || names.contains("npx")) names.add("node");
        List<Path> out = new ArrayList<>();
        for (String name : names) {
            // a program the run line names by its path is not kept: its folder is the app's pick and may be
            // anything (another project, a folder of /root); what PATH picks is the machine owner's
            if (name.contains("/")) continue;
            Path p = onPath(name, path);
            if (p != null && p.isAbsolute() && Files.isExecutable(p)) out.add(p.normalize());
        }
        return out;
    }

    /** The command a shell line starts, past variable assignments and exec; null when the line is more than words. */
    static String firstWord(String line) {
        for (String w : line.strip().split("\\s+")) {
            if (w.matches("[A-Za-z_][A-Za-z0-9_]*=.*") || w.equals("exec")) continue;
            return w.matches("[A-Za-z0-9_./+-]+") ? w : null;
        }
        return null;
    }

    private static Path onPath(String name, String path) {
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return p;
        }
        return null;
    }

    private static void readableByAll(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk::iterator)
                if (!Files.isSymbolicLink(p))
                    Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
    }

    private static Path inside(Path root, Path absolute) {
        return root.resolve(Path.of("/").relativize(absolute));
    }

    static boolean under(Path p, Path folder) {
        return p.normalize().startsWith(folder.normalize());
    }

    /** fstab's escapes: a path may hold a space. */
    private static String escape(String s) {
        return s.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011").replace("\n", "\\012");
    }

    private static List<Path> paths(String... p) {
        return java.util.Arrays.stream(p).map(Path::of).toList();
    }

    static void delete(Path p) {
        try (var walk = Files.walk(p)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // a leftover in the run folder goes with it
        }
    }
}
