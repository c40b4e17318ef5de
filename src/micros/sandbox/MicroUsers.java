package micros.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import micros.util.Pids;
import micros.util.UserError;

/**
 * One uid (and gid) per micro when micros runs as root, so micros cannot signal, trace or read
 * each other's processes and files. A uid is free when no /etc/passwd or /etc/group entry, no
 * running process and no other running micros has it (runs claim theirs in {@link #CLAIMS}).
 * Without --user, each process micro gets the next free uid from {@link #AUTO_BASE}. With
 * --user, the first micro runs as that user and each next one as the next uid, which must be
 * free (a clear error otherwise). {@code --user root} runs every micro as root, without capabilities.
 */
final class MicroUsers {
    static final int AUTO_BASE = 900000;
    static final Path CLAIMS = Path.of(Files.isDirectory(Path.of("/run")) ? "/run" : System.getProperty("java.io.tmpdir"), "micros-uids");

    private final String user;    // null: automatic
    private final int baseUid, baseGid;
    private final boolean named;  // --user is an /etc/passwd account: the first uid is used as it is
    private final String claimant = Pids.self() + " " + Long.toHexString(System.nanoTime()) + Integer.toHexString(System.identityHashCode(this));
    private final Map<String, int[]> assigned = new LinkedHashMap<>();
    private final Map<String, UserError> refused = new java.util.HashMap<>(); // said again at every ask
    private final List<Path> claims = new ArrayList<>();
    private Set<Integer> running; // uids of running processes, read once
    private int next;

    MicroUsers(String user) {
        this.user = user;
        int[] ids = user == null ? new int[] {AUTO_BASE, AUTO_BASE, 0} : resolve(user);
        this.baseUid = ids[0];
        this.baseGid = ids[1];
        this.named = ids[2] == 1;
        this.next = baseUid;
    }

    boolean root() {
        return baseUid == 0;
    }

    /** The uid and gid of this micro, given at its first call, in order; says in one sentence why it cannot have one. */
    synchronized int[] of(String micro) {
        if (refused.containsKey(micro)) throw refused.get(micro);
        int[] ids = assigned.get(micro);
        if (ids != null) return ids;
        if (root()) ids = new int[] {0, 0};
        else if (user == null) {
            while (taken(next, next) != null) next++;
            ids = new int[] {next, next};
            claim(next++);
        } else {
            int n = assigned.size();
            ids = new int[] {baseUid + n, baseGid + n};
            String why = n == 0 && named ? null : taken(ids[0], ids[1]);
            if (why == null && !(n == 0 && named) && !claim(ids[0])) why = "is used by another micros run";
            if (why != null) {
                assigned.put(micro, ids); // so the next micro's message names its own uid
                refused.put(micro, UserError.config("--user " + user + ": uid " + ids[0] + ", for micro '" + micro + "', " + why
                        + ": micros gives each micro its own unused uid, counting up from --user; choose a --user with free uids after it, or leave --user out"));
                throw refused.get(micro);
            }
        }
        assigned.put(micro, ids);
        return ids;
    }

    /** Why this uid/gid cannot be a micro's, or null when free. */
    private String taken(int uid, int gid) {
        if (uid > 2_000_000_000 || uid < 0) return "is out of range";
        String account = entry(Path.of("/etc/passwd"), uid);
        if (account != null) return "belongs to user '" + account + "' in /etc/passwd";
        String group = entry(Path.of("/etc/group"), gid);
        if (group != null) return "(gid " + gid + ") belongs to group '" + group + "' in /etc/group";
        if (running == null) running = runningUids();
        if (running.contains(uid)) return "is used by a running process";
        if (claimedByOther(uid)) return "is used by another micros run";
        return null;
    }

    /** Marks the uid as this run's (false when another live run holds it). */
    private boolean claim(int uid) {
        Path f = CLAIMS.resolve(Integer.toString(uid));
        try {
            if (!Files.isDirectory(CLAIMS)) {
                Files.createDirectories(CLAIMS);
                Files.setPosixFilePermissions(CLAIMS, PosixFilePermissions.fromString("rwx------"));
            }
            if (claims.isEmpty()) sweep();
            for (int attempt = 0; attempt < 3; attempt++) {
                try {
                    Files.writeString(f, claimant + "\n", StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    claims.add(f);
                    return true;
                } catch (FileAlreadyExistsException e) {
                    if (claimedByOther(uid)) return false;
                    Files.deleteIfExists(f); // a dead run's
                }
            }
            return false;
        } catch (IOException e) {
            return true; // nowhere to note it: the process check still applies
        }
    }

    /** Removes the claims of runs that were killed before they could give them back. */
    private void sweep() {
        try (DirectoryStream<Path> all = Files.newDirectoryStream(CLAIMS, p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path f : all) {
                int uid = Integer.parseInt(f.getFileName().toString());
                if (!claimedByOther(uid) && !Files.readString(f).strip().equals(claimant)) Files.deleteIfExists(f);
            }
        } catch (IOException | RuntimeException ignored) {
            // a claim that stays only keeps its uid from being chosen
        }
    }

    /** Whether a live micros run other than this one claims the uid. */
    private boolean claimedByOther(int uid) {
        try {
            String holder = Files.readString(CLAIMS.resolve(Integer.toString(uid))).strip();
            if (holder.equals(claimant)) return false;
            long pid = Long.parseLong(holder.split(" ")[0]);
            if (pid == Pids.self()) return true; // another emulator in this JVM (it releases its claims when it stops)
            return ProcessHandle.of(pid).map(h -> h.isAlive() && h.info().command().orElse("java").contains("java")).orElse(false);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Gives the claimed uids back (the run stops). */
    synchronized void release() {
        for (Path f : claims) {
            try {
                if (Files.readString(f).strip().equals(claimant)) Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // gone already
            }
        }
        claims.clear();
    }

    /** "uid 900000 to uid 900001, one per micro,", for the start-up line. */
    synchronized String describe() {
        if (root()) return "root (--user " + user + ": not separated by user)";
        List<Integer> uids = new ArrayList<>();
        for (int[] ids : assigned.values()) uids.add(ids[0]);
        if (uids.isEmpty()) uids.add(baseUid);
        String first = named ? user + " (uid " + uids.get(0) + ")" : "uid " + uids.get(0);
        if (uids.size() == 1) return first;
        boolean contiguous = uids.get(uids.size() - 1) - uids.get(0) == uids.size() - 1;
        if (contiguous) return first + " to uid " + uids.get(uids.size() - 1) + ", one per micro,";
        return "uids " + String.join(", ", uids.stream().map(String::valueOf).toList()) + ", one per micro,";
    }

    /** The name of the entry with this id in a passwd or group file, or null. */
    private static String entry(Path file, int id) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split(":");
                if (f.length >= 3 && f[2].equals(Integer.toString(id))) return f[0];
            }
        } catch (IOException ignored) {
            // no such file: nothing to collide with
        }
        return null;
    }

    /** Real and effective uids of every process now. */
    private static Set<Integer> runningUids() {
        Set<Integer> uids = new HashSet<>();
        // a /proc/PID folder belongs to the process's uid: one stat each, not a status file read and parsed (faster start-up)
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), MicroUsers::isPid)) {
            for (Path p : procs) {
                try {
                    uids.add((Integer) Files.getAttribute(p, "unix:uid"));
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile
                }
            }
        } catch (IOException ignored) {
            // no /proc: nothing to check
        }
        return uids;
    }

    private static boolean isPid(Path p) {
        String name = p.getFileName().toString();
        if (name.isEmpty()) return false;
        for (int i = 0; i < name.length(); i++) if (name.charAt(i) < '0' || name.charAt(i) > '9') return false;
        return true;
    }

    /** uid, gid and whether it is an account, of a user name or number. */
    static int[] resolve(String user) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length >= 4 && (f[0].equals(user) || f[2].equals(user))) return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3]), 1};
            }
        } catch (IOException | NumberFormatException ignored) {
            // below
        }
        if (user.matches("[0-9]{1,10}") && Long.parseLong(user) < Integer.MAX_VALUE) return new int[] {Integer.parseInt(user), Integer.parseInt(user), 0};
        if (user.equals("nobody")) return new int[] {65534, 65534, 1};
        throw UserError.config("--user " + user + ": no such user in /etc/passwd; give a user name or a numeric uid");
    }
}
