package micros.export;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import micros.spacefile.SpaceIgnore;

/**
 * What Space would have uploaded from a micro's src folder: everything but the default ignore
 * list and its {@code .spaceignore} ({@code include} selects from the built folder, in the
 * image). Installed
 * dependencies (node_modules, virtualenvs) are left out: the image installs them again. What
 * {@link Leaks} withholds (the state folder, files holding a secret) is never packaged, and
 * symbolic links are never followed or copied.
 */
final class Package {
    private Package() {}

    /** What a rule says about a path ('/'-separated, relative to the walk's root): left out or not. */
    private interface Rule {
        boolean excluded(String rel, boolean dir);
    }

    /**
     * What `space push` uploaded from a micro's folder, as sorted '/'-separated paths relative to
     * src: everything but the default ignore list and its .spaceignore. {@code include} is not
     * applied here: Space applied it to the built folder, and so does the image.
     */
    static List<String> files(Path src, Leaks leaks, String shownAs) throws IOException {
        SpaceIgnore ignore = SpaceIgnore.forSource(src);
        return walk(src, leaks, shownAs, ignore::ignored);
    }

    /**
     * A static micro's files as the gateway serves them (StaticFiles' rule): the ignore rules match
     * paths relative to src, but within a folder the rules leave out of the upload (dist, build:
     * built on Space), relative to the folder itself.
     */
    static List<String> served(Path src, Path folder, Leaks leaks, String shownAs) throws IOException {
        if (!Files.isDirectory(folder)) return List.of();
        SpaceIgnore ignore = SpaceIgnore.forSource(src);
        String base = null;
        Path realFolder = folder.toRealPath(), realSrc = src.toRealPath();
        if (realFolder.startsWith(realSrc)) {
            String rel = relative(realSrc, realFolder);
            base = rel.isEmpty() ? "" : rel + "/";
            if (!rel.isEmpty() && builtOnSpace(ignore, rel)) base = null;
        }
        String prefix = base;
        return walk(folder, leaks, shownAs, (rel, dir) -> ignore.ignored(prefix == null ? rel : prefix + rel, dir));
    }

    private static boolean builtOnSpace(SpaceIgnore ignore, String rel) {
        if (ignore.ignored(rel + "/index.html", false)) return true; // "dist/**"
        for (int i = rel.indexOf('/'); ; i = rel.indexOf('/', i + 1)) {
            if (ignore.ignored(i < 0 ? rel : rel.substring(0, i), true)) return true;
            if (i < 0) return false;
        }
    }

    private static List<String> walk(Path root, Leaks leaks, String shownAs, Rule rule) throws IOException {
        TreeMap<String, Boolean> found = new TreeMap<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String rel = relative(root, dir);
                    if (leaks.folder(dir)) return FileVisitResult.SKIP_SUBTREE; // the state folder, even as the root's own
                    if (rel.isEmpty()) return FileVisitResult.CONTINUE;
                    String name = dir.getFileName().toString();
                    if (name.equals("node_modules") || Files.exists(dir.resolve("pyvenv.cfg")) || rule.excluded(rel, true)) return FileVisitResult.SKIP_SUBTREE;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String rel = relative(root, file);
                    if (!attrs.isRegularFile() || rule.excluded(rel, false)) return FileVisitResult.CONTINUE; // links: never followed
                    try {
                        if (!leaks.holdsSecret(file, shownAs + "/" + rel)) found.put(rel, true);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return new ArrayList<>(found.keySet());
    }

    static void copy(Path from, List<String> files, Path to) throws IOException {
        for (String f : files) {
            Path target = to.resolve(f);
            Files.createDirectories(target.getParent());
            Files.copy(from.resolve(f), target, StandardCopyOption.REPLACE_EXISTING, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        }
    }

    static String relative(Path base, Path p) {
        return base.relativize(p).toString().replace('\\', '/');
    }
}
