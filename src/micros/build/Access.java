package micros.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whether the user micros run as can execute a program: every folder on the way to it (and to
 * what its symlinks point at) must be enterable, the program itself executable. A pyenv shim
 * under /root (mode 0700) fails this for nobody, which otherwise ends as "exit 127".
 */
record Access(String user, int uid, int gid) {

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
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS); // one stat
            int mode = (int) a.get("mode");
            if ((int) a.get("uid") == uid) return (mode & 0100) != 0;
            if ((int) a.get("gid") == gid) return (mode & 0010) != 0;
            return (mode & 0001) != 0;
        } catch (IOException e) {
            return false; // it is not there: nobody can run it
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return true; // cannot tell here: the micro's own error will say
        }
    }
}
