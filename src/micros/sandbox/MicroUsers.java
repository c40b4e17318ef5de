package micros.sandbox;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import micros.util.UserError;

/**
 * One uid (and gid) per micro when micros runs as root, so micros cannot signal, trace or read
 * each other: --user is the first micro's user, and each next process micro in the Spacefile
 * gets the next uid and gid. Those after the first must be free: no /etc/passwd or /etc/group
 * entry, no running process. {@code --user root} runs every micro as root (no capabilities).
 */
final class MicroUsers {
    /** The default --user: a uid no account uses on common systems (not a name: there is no passwd entry). */
    static final String DEFAULT = "900000";

    private final String user;
    private final int baseUid, baseGid;
    private final boolean named;  // --user is an /etc/passwd account: the first uid is used as it is
    private final Map<String, int[]> assigned = new LinkedHashMap<>();
    private Set<Integer> running; // uids of running processes, read once

    MicroUsers(String user) {
        this.user = user;
        int[] ids = resolve(user);
        this.baseUid = ids[0];
        this.baseGid = ids[1];
        this.named = ids[2] == 1;
    }

    String user() {
        return user;
    }

    boolean root() {
        return baseUid == 0;
    }

    /** The uid and gid of this micro, given to it at its first call, in order; says in one sentence why one cannot be used. */
    synchronized int[] of(String micro) {
        int[] ids = assigned.get(micro);
        if (ids != null) return ids;
        int n = assigned.size();
        ids = root() ? new int[] {0, 0} : new int[] {baseUid + n, baseGid + n};
        assigned.put(micro, ids); // taken even when refused, so the next micro's message names its own uid
        if (!root() && (n > 0 || !named)) check(micro, ids);
        return ids;
    }

    private void check(String micro, int[] ids) {
        String fix = ": micros gives each micro its own unused uid, counting up from --user " + user + "; choose a --user with free uids after it";
        if (ids[0] > 2_000_000_000) throw UserError.config("--user " + user + ": uid " + ids[0] + " for micro '" + micro + "' is too large" + fix);
        String account = entry(Path.of("/etc/passwd"), ids[0]);
        if (account != null) throw UserError.config("--user " + user + ": uid " + ids[0] + ", for micro '" + micro + "', belongs to user '" + account + "' in /etc/passwd" + fix);
        String group = entry(Path.of("/etc/group"), ids[1]);
        if (group != null) throw UserError.config("--user " + user + ": gid " + ids[1] + ", for micro '" + micro + "', belongs to group '" + group + "' in /etc/group" + fix);
        if (running == null) running = runningUids();
        if (running.contains(ids[0])) throw UserError.config("--user " + user + ": uid " + ids[0] + ", for micro '" + micro + "', is used by a running process" + fix);
    }

    /** "nobody (uid 65534)" or "uid 900001": the user a micro runs as, for messages. */
    synchronized String name(String micro) {
        int[] ids = of(micro);
        return named && ids[0] == baseUid ? user + " (uid " + baseUid + ")" : "uid " + ids[0];
    }

    /** "uids 900000-900001 (one per micro, from --user 900000)", for the start-up line. */
    synchronized String describe() {
        if (root()) return "root (--user " + user + ": not separated by user)";
        int n = Math.max(1, assigned.size());
        String first = named ? user + " (uid " + baseUid + ")" : "uid " + baseUid;
        return n == 1 ? first : first + " to uid " + (baseUid + n - 1) + ", one per micro,";
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
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path p : procs) {
                try {
                    for (String line : Files.readAllLines(p.resolve("status")))
                        if (line.startsWith("Uid:")) {
                            String[] f = line.split("\\s+");
                            uids.add(Integer.parseInt(f[1]));
                            uids.add(Integer.parseInt(f[2]));
                            break;
                        }
                } catch (IOException | RuntimeException gone) {
                    // ended meanwhile
                }
            }
        } catch (IOException ignored) {
            // no /proc: nothing to check
        }
        return uids;
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
