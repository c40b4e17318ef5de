package micros.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Whether the user micros run as can execute a program: every folder on the way to it (and to
 * what its symlinks point at) must be enterable, the program itself executable. A pyenv shim
 * under /root (mode 0700) fails this for nobody, which otherwise ends as "exit 127".
 */
record Access(String user, int uid, int gid) {

    /** The user micros run as when micros runs as root (--user); null when micros runs as itself. */
    static Access of(String user) {
        if (user == null) return null;
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length >= 4 && (f[0].equals(user) || f[2].equals(user)))
                    return new Access(user, Integer.parseInt(f[2]), Integer.parseInt(f[3]));
            }
        } catch (IOException | NumberFormatException ignored) {
            // below
        }
        if (user.matches("[0-9]+")) return new Access(user, Integer.parseInt(user), Integer.parseInt(user));
        return user.equals("nobody") ? new Access(user, 65534, 65534) : null;
    }

    /** A micro's uid and gid (null: micros' own user), named as /etc/passwd names the uid, if it does. */
    static Access of(int[] ids) {
        if (ids == null) return null;
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length >= 3 && f[2].equals(Integer.toString(ids[0]))) return new Access(f[0], ids[0], ids[1]);
            }
        } catch (IOException ignored) {
            // below
        }
        return new Access(Integer.toString(ids[0]), ids[0], ids[1]);
    }

    /** "nobody (uid 65534)", or "uid 900000" for a uid with no name (micros' own per-micro uids). */
    String who() {
        return user.equals(Integer.toString(uid)) ? "uid " + uid : user + " (uid " + uid + ")";
    }

    /** The first path on the way to {@code program} that this user cannot enter or execute; null when it can run it. */
    Path blocker(Path program) {
        if (uid == 0) return null;
        List<Path> chain = new ArrayList<>();
        Path p = program.toAbsolutePath().normalize();
        for (int hops = 0; hops < 40; hops++) { // every link on the way: each one's folder must be enterable too
            for (Path d = p.getParent(); d != null; d = d.getParent()) chain.add(d);
            if (!Files.isSymbolicLink(p)) break;
            try {
                p = p.getParent().resolve(Files.readSymbolicLink(p)).normalize();
            } catch (IOException e) {
                break;
            }
        }
        try {
            Path real = p.toRealPath();
            for (Path d = real.getParent(); d != null; d = d.getParent()) chain.add(d);
            chain.add(real);
        } catch (IOException e) {
            chain.add(p); // a dangling link: report where it points
        }
        for (Path c : chain) if (!canExecute(c)) return c;
        return null;
    }

    private boolean canExecute(Path p) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
            int owner = (int) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int group = (int) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            if (owner == uid) return perms.contains(PosixFilePermission.OWNER_EXECUTE);
            if (group == gid) return perms.contains(PosixFilePermission.GROUP_EXECUTE);
            return perms.contains(PosixFilePermission.OTHERS_EXECUTE);
        } catch (IOException e) {
            return false; // it is not there: nobody can run it
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return true; // cannot tell here: the micro's own error will say
        }
    }
}
