package micros.build;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import micros.spacefile.App;
import micros.spacefile.Ignore;
import micros.spacefile.SpaceIgnore;

/**
 * A micro's staged upload: the files `space push` would have uploaded (its src folder minus
 * Space's default ignore list and its own .spaceignore; a Deta Cloud micro's minus its
 * .detaignore), copied into its build folder, where it is built and from where the micro runs.
 * The owner's folder is only read, through open folders and without following links (a folder
 * swapped for a link mid-walk cannot make micros, as root, copy a file from elsewhere). A symbolic
 * link to a file of the project is staged as a copy of it, as space push uploaded it (unless that
 * file is one Space never uploaded, such as .env or the state folder); a link leading out of the
 * project is left out, with a warning; any other link as the same link, reaching only what the
 * micro's user may read. Refreshing copies only the files that changed.
 */
final class Stage {
    /** The dependency folder kept between builds (npm's cache of what package.json names); the virtualenv lives beside the stage. */
    static final String MODULES = "node_modules";

    private Stage() {}

    /**
     * One uploaded file or link: its path in src ('/'-separated) and what says it changed; a link
     * staged as a copy of the file it names (see {@link #link}) has that file's path in the project as
     * {@code from} (null for any other entry).
     */
    record Entry(String path, boolean link, long size, long mtime, Set<PosixFilePermission> mode, Object key, String target, String from) {
        String line() {
            return link ? path + " -> " + target : path + " " + size + " " + mtime + " " + java.nio.file.attribute.PosixFilePermissions.toString(mode) + " " + key
                    + (from == null ? "" : " <= " + from);
        }
    }

    /**
     * Where a micro's upload comes from: its src folder, read with its platform's ignore rules;
     * the project folder, which links may lead into; micros' state folder, never part of it.
     */
    record Source(Path src, Path project, Path state, Ignore ignore) {
        static Source of(App app, Path src, Path state) {
            Ignore ignore;
            try {
                ignore = Ignore.forMicro(app, src);
            } catch (IOException e) { // an unreadable .spaceignore or .detaignore: the default list still applies
                ignore = Ignore.defaultsFor(app);
            }
            return new Source(src, app.root(), state, ignore);
        }

        /** The file that lists the micro's own ignore rules. */
        String ignoreFile() {
            return ignore instanceof SpaceIgnore ? ".spaceignore" : ".detaignore";
        }
    }

    /**
     * The upload: its entries by path, how many files and folders the ignore rules left out, and
     * one sentence for each link left out because it leads out of the project.
     */
    record Upload(List<Entry> entries, int ignored, List<String> warnings) {
        /** One digest of every entry: the same upload gives the same digest. */
        String digest() {
            Fingerprint f = new Fingerprint();
            for (Entry e : entries) f.add(e.line());
            return f.hex();
        }

        /** Every uploaded path and every folder holding one. */
        Set<String> paths() {
            Set<String> all = new HashSet<>();
            for (Entry e : entries) {
                all.add(e.path());
                for (int i = e.path().indexOf('/'); i > 0; i = e.path().indexOf('/', i + 1)) all.add(e.path().substring(0, i));
            }
            return all;
        }
    }

    private static final java.util.Comparator<Entry> BY_PATH = java.util.Comparator.comparing(Entry::path);

    /** Who owns the stage: the micro's uid when micros runs as root with its sandbox, else null (micros' own user). */
    record Owner(int uid, int gid) {}

    /** What src would upload, read without copying anything. */
    static Upload scan(Source source) throws IOException {
        return walk(source, null, null);
    }

    /**
     * Makes {@code app} hold exactly what src uploads, and what a build made only in {@code keep}:
     * copies what differs, removes the rest.
     */
    static Upload sync(Source source, Path app, Owner owner) throws IOException {
        makeDir(app, owner);
        Upload upload = walk(source, app, owner);
        discard(app, upload, Set.of(MODULES));
        return upload;
    }

    /** Removes from {@code app} what the upload does not hold, but the top-level folders in {@code keep}: what a build left. */
    static void discard(Path app, Upload upload, Set<String> keep) throws IOException {
        Set<String> paths = upload.paths();
        remove(app, rel -> keep.contains(rel) ? Verdict.KEEP_ALL : paths.contains(rel) ? Verdict.LOOK : Verdict.REMOVE);
    }

    /** Space packaged only `include` after the build: removes everything else but the dependencies. */
    static void include(Path app, List<String> include) throws IOException {
        List<String> wanted = new ArrayList<>();
        for (String i : include) {
            String p = i.strip();
            while (p.startsWith("./")) p = p.substring(2);
            while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
            if (!p.isEmpty()) wanted.add(p);
        }
        if (wanted.isEmpty() || wanted.contains(".")) return;
        remove(app, rel -> {
            if (rel.equals(MODULES)) return Verdict.KEEP_ALL;
            for (String w : wanted) if (rel.equals(w) || rel.startsWith(w + "/")) return Verdict.KEEP_ALL;
            for (String w : wanted) if (w.startsWith(rel + "/")) return Verdict.LOOK;
            return Verdict.REMOVE;
        });
    }

    /** Gives {@code dir} and all below it to the owner when it is not theirs yet (the micro got another uid than last run). */
    static void own(Path dir, Owner owner) throws IOException {
        if (owner == null || !Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        if ((int) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS) == owner.uid()) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                chown(d, owner);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                chown(f, owner);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Removes a folder and all below it, following no link. */
    static void delete(Path dir) throws IOException {
        remove(dir, rel -> Verdict.REMOVE);
        Files.delete(dir);
    }

    /** An empty folder the owner may write: removed first when it holds something, made when missing. */
    static void fresh(Path dir, Owner owner) throws IOException {
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) remove(dir, rel -> Verdict.REMOVE);
        makeDir(dir, owner);
        if (owner != null) chown(dir, owner);
    }

    /** A folder of the stage, made (or a file or link in its place replaced) without following links; the owner's. */
    static void makeDir(Path dir, Owner owner) throws IOException {
        if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) return;
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) Files.delete(dir);
        Files.createDirectory(dir);
        Files.setPosixFilePermissions(dir, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
                PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
        if (owner != null) chown(dir, owner);
    }

    // ---- the walk ----

    /**
     * Walks src as the upload sees it; with {@code app}, also copies each file that differs from its staged copy.
     * Any folder named .micros (micros' state) and the state folder itself are never part of it.
     */
    private static Upload walk(Source source, Path app, Owner owner) throws IOException {
        Path realState = real(source.state()), realSrc = real(source.src()), realProject = real(source.project());
        if (!realSrc.startsWith(realProject)) realProject = realSrc; // (validate refuses a src outside the project)
        List<Entry> entries = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        int[] ignored = {0};
        try (DirectoryStream<Path> top = Files.newDirectoryStream(realSrc)) {
            if (!(top instanceof SecureDirectoryStream<Path> secure))
                throw new IOException("this system cannot read folders without following links (no openat): micros cannot stage " + source.src());
            walk(secure, realSrc, "", new Rules(source.ignore(), realSrc, realProject, realState, warnings), app, owner, entries, ignored);
        }
        entries.sort(BY_PATH);
        return new Upload(List.copyOf(entries), ignored[0], List.copyOf(warnings));
    }

    /** What the upload leaves out: the ignore rules, and micros' state folder; where its links may lead; what it warns of. */
    private record Rules(Ignore ignore, Path src, Path project, Path state, List<String> warnings) {
        boolean leavesOut(Path dirPath, String rel, String name, boolean dir) {
            if (dir) return name.equals(".micros") || ignore.ignored(rel, true) || dirPath.resolve(name).equals(state);
            // .spaceignore is in Space's own list, but space-cli uploaded it (the deta CLI kept .detaignore by its own rules)
            return !(rel.equals(".spaceignore") && ignore instanceof SpaceIgnore) && ignore.ignored(rel, false);
        }

        /**
         * Whether a file of the project outside src (a link's target) may be staged: never in the state
         * folder, nor one Space's default list leaves out wherever it is (.env, .git, node_modules, ...).
         */
        boolean shares(Path real) {
            if (real.startsWith(state)) return false;
            SpaceIgnore defaults = SpaceIgnore.defaults();
            String rel = "";
            Path rest = project.relativize(real);
            for (int i = 0; i < rest.getNameCount(); i++) {
                String part = rest.getName(i).toString();
                rel = rel.isEmpty() ? part : rel + "/" + part;
                boolean dir = i < rest.getNameCount() - 1;
                if (part.equals(".micros") || defaults.ignored(rel, dir)) return false;
            }
            return true;
        }

        /** Whether a file of src at {@code rel} is uploaded: neither it nor a folder above it left out. */
        boolean uploads(String rel) {
            Path dirPath = src;
            String[] parts = rel.split("/");
            for (int i = 0; i < parts.length - 1; i++) {
                if (leavesOut(dirPath, String.join("/", java.util.Arrays.copyOf(parts, i + 1)), parts[i], true)) return false;
                dirPath = dirPath.resolve(parts[i]);
            }
            return !leavesOut(dirPath, rel, parts[parts.length - 1], false);
        }
    }

    private static void walk(SecureDirectoryStream<Path> dir, Path dirPath, String prefix, Rules rules, Path app, Owner owner,
                             List<Entry> entries, int[] ignored) throws IOException {
        List<Path> names = new ArrayList<>();
        for (Path p : dir) names.add(p.getFileName());
        for (Path name : names) {
            String rel = prefix + name;
            PosixFileAttributes a;
            try {
                a = dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
            } catch (IOException gone) {
                continue; // removed meanwhile
            }
            if (a.isDirectory()) {
                if (rules.leavesOut(dirPath, rel, name.toString(), true)) {
                    ignored[0]++;
                    continue;
                }
                try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS)) {
                    if (app != null) makeDir(app.resolve(rel), owner);
                    walk(sub, dirPath.resolve(name), rel + "/", rules, app, owner, entries, ignored);
                } catch (java.nio.file.AccessDeniedException e) {
                    throw new IOException(dirPath.resolve(name) + " cannot be read (permission denied)");
                }
            } else if (a.isRegularFile() || a.isSymbolicLink()) {
                // .spaceignore is in Space's own list, but space-cli uploaded it; staged, it keeps applying when micros serves files
                if (rules.leavesOut(dirPath, rel, name.toString(), false)) {
                    ignored[0]++;
                    continue;
                }
                Entry e = a.isSymbolicLink() ? link(dirPath.resolve(name), rel, rules) : entry(rel, a, null);
                if (e == null) continue; // a link out of the project: left out, said in rules.warnings
                entries.add(e);
                if (app != null) place(dir, name, e, app.resolve(rel), owner, rules.project());
            } // sockets, pipes and devices: never uploaded
        }
    }

    private static Entry entry(String rel, PosixFileAttributes a, String from) {
        return new Entry(rel, false, a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS), a.permissions(), a.fileKey(), null, from);
    }

    /**
     * A symbolic link: space push uploaded the content of the file it names. So does micros when
     * that file is one src uploads (a link to .env stays left out), or a file elsewhere in the
     * project that Space's default list does not leave out (../shared/x.py: the micro never sees the
     * project folder). A link leading out of the project is left out with a warning (micros never
     * copies a file from outside the project); any other link (to a folder, to nothing) is staged as
     * the same link, which reaches only what the micro's user may read (never the owner's folder).
     * @return null when the link is left out
     */
    private static Entry link(Path link, String rel, Rules rules) throws IOException {
        Path target = Files.readSymbolicLink(link);
        Path real;
        try {
            real = link.toRealPath();
        } catch (IOException dangling) {
            real = link.getParent().resolve(target).normalize(); // where it would lead
        }
        if (!real.startsWith(rules.project())) {
            rules.warnings().add("its link " + rel + " leads out of the project (to " + target + "): left out of its upload, as micros never copies"
                    + " files from outside the project; copy the file into the project instead");
            return null;
        }
        PosixFileAttributes a;
        try {
            a = Files.readAttributes(real, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException dangling) {
            a = null;
        }
        boolean inSrc = real.startsWith(rules.src());
        if (a != null && a.isDirectory() && !inSrc) {
            rules.warnings().add("its link " + rel + " leads to a folder outside its own (" + target + "), which the micro cannot see: left out of"
                    + " its upload; link the files one by one, or move the folder into the micro's");
            return null;
        }
        if (a != null && a.isRegularFile()) {
            if (inSrc ? rules.uploads(rules.src().relativize(real).toString().replace('\\', '/')) : rules.shares(real))
                return entry(rel, a, rules.project().relativize(real).toString().replace('\\', '/'));
        }
        return new Entry(rel, true, 0, 0, Set.of(), null, target.toString(), null);
    }

    /** Opens a file of the project read-only, one folder at a time and following no link on the way (a folder swapped for a link mid-way fails). */
    private static SeekableByteChannel openInside(Path project, String rel) throws IOException {
        String[] parts = rel.split("/");
        DirectoryStream<Path> top = Files.newDirectoryStream(project);
        if (!(top instanceof SecureDirectoryStream<Path> dir)) {
            top.close();
            throw new IOException("this system cannot read folders without following links");
        }
        try {
            for (int i = 0; i < parts.length - 1; i++) {
                SecureDirectoryStream<Path> next = dir.newDirectoryStream(Path.of(parts[i]), LinkOption.NOFOLLOW_LINKS);
                dir.close();
                dir = next;
            }
            return dir.newByteChannel(Path.of(parts[parts.length - 1]), Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
        } finally {
            dir.close();
        }
    }

    /** Stages one entry unless its staged copy is the same (same size, time and mode; same link target); a link's file is read from the project. */
    private static void place(SecureDirectoryStream<Path> dir, Path name, Entry e, Path target, Owner owner, Path project) throws IOException {
        PosixFileAttributes now = null;
        try {
            now = Files.readAttributes(target, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException missing) {
            // below
        }
        if (now != null) {
            boolean same = e.link() ? now.isSymbolicLink() && Files.readSymbolicLink(target).toString().equals(e.target())
                    : now.isRegularFile() && now.size() == e.size() && now.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS) == e.mtime()
                    && now.permissions().equals(mode(e.mode()));
            if (same && (owner == null || (int) Files.getAttribute(target, "unix:uid", LinkOption.NOFOLLOW_LINKS) == owner.uid())) return;
            if (now.isDirectory()) remove(target, rel -> Verdict.REMOVE);
            Files.delete(target);
        }
        if (e.link()) {
            Files.createSymbolicLink(target, Path.of(e.target()));
            if (owner != null) chown(target, owner);
            return;
        }
        // CREATE_NEW: never through a link someone put in its place
        try (SeekableByteChannel in = e.from() == null ? dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))
                : openInside(project, e.from());
             FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < e.size()) {
                long n = out.transferFrom(in, done, e.size() - done);
                if (n <= 0) break; // it shrank meanwhile: the next start sees another size and copies it again
                done += n;
            }
        }
        if (owner != null) chown(target, owner);
        Files.setPosixFilePermissions(target, mode(e.mode()));
        Files.setLastModifiedTime(target, FileTime.from(e.mtime(), java.util.concurrent.TimeUnit.NANOSECONDS));
    }

    /** The staged copy's mode: the owner's, and always readable and writable by the stage's owner (a build may rewrite a source file). */
    private static Set<PosixFilePermission> mode(Set<PosixFilePermission> source) {
        Set<PosixFilePermission> m = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
        m.addAll(source);
        return m;
    }

    // ---- removing ----

    /** What happens to an entry below a folder being cleaned: kept with all below it, looked into (a folder; a file is kept), or removed. */
    private enum Verdict { KEEP_ALL, LOOK, REMOVE }

    /** Removes, without following links, every entry below {@code root} that {@code judge} says to (a folder goes whole). */
    private static void remove(Path root, java.util.function.Function<String, Verdict> judge) throws IOException {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            private int removing = 0; // > 0 inside a folder that goes whole

            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                if (removing > 0) removing++;
                else if (!d.equals(root)) {
                    Verdict v = judge.apply(rel(d));
                    if (v == Verdict.KEEP_ALL) return FileVisitResult.SKIP_SUBTREE;
                    if (v == Verdict.REMOVE) removing++;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                if (removing > 0 || judge.apply(rel(f)) == Verdict.REMOVE) Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                if (removing > 0) {
                    removing--;
                    Files.delete(d);
                }
                return FileVisitResult.CONTINUE;
            }

            private String rel(Path p) {
                return root.relativize(p).toString().replace('\\', '/');
            }
        });
    }

    private static void chown(Path p, Owner owner) throws IOException {
        Files.setAttribute(p, "unix:gid", owner.gid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:uid", owner.uid(), LinkOption.NOFOLLOW_LINKS);
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

}
