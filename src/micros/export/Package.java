package micros.export;

import java.io.IOException;
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
 * What Space would have packaged from a micro's src folder: its {@code include} list when it has
 * one, else everything but the default ignore list and its {@code .spaceignore}. Installed
 * dependencies (node_modules, virtualenvs) are left out: the image installs them again.
 */
final class Package {
    private Package() {}

    /** The packaged files, as sorted '/'-separated paths relative to src. */
    static List<String> files(Path src, List<String> include) throws IOException {
        SpaceIgnore ignore = SpaceIgnore.forSource(src);
        List<String> includes = new ArrayList<>();
        for (String i : include) {
            String p = i.strip();
            while (p.startsWith("./")) p = p.substring(2);
            while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
            if (!p.isEmpty()) includes.add(p);
        }
        TreeMap<String, Boolean> found = new TreeMap<>();
        Files.walkFileTree(src, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String rel = relative(src, dir);
                if (rel.isEmpty()) return FileVisitResult.CONTINUE;
                String name = dir.getFileName().toString();
                if (name.equals("node_modules") || Files.exists(dir.resolve("pyvenv.cfg")) || excluded(rel, true)) return FileVisitResult.SKIP_SUBTREE;
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String rel = relative(src, file);
                if (attrs.isRegularFile() && !excluded(rel, false)) found.put(rel, true);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE;
            }

            private boolean excluded(String rel, boolean dir) {
                if (!includes.isEmpty()) {
                    for (String i : includes) if (rel.equals(i) || rel.startsWith(i + "/") || (dir && i.startsWith(rel + "/"))) return false;
                    return true;
                }
                return ignore.ignored(rel, dir);
            }
        });
        return new ArrayList<>(found.keySet());
    }

    /** Every regular file under a folder (a static micro's served files), sorted. */
    static List<String> all(Path dir) throws IOException {
        TreeMap<String, Boolean> found = new TreeMap<>();
        if (!Files.isDirectory(dir)) return List.of();
        try (var walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).forEach(p -> {
                String rel = relative(dir, p);
                boolean skipped = rel.startsWith(".micros/") || rel.startsWith(".git/") || rel.startsWith("node_modules/") || rel.contains("/node_modules/");
                if (!skipped) found.put(rel, true);
            });
        }
        return new ArrayList<>(found.keySet());
    }

    static void copy(Path from, List<String> files, Path to) throws IOException {
        for (String f : files) {
            Path target = to.resolve(f);
            Files.createDirectories(target.getParent());
            Files.copy(from.resolve(f), target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static String relative(Path base, Path p) {
        return base.relativize(p).toString().replace('\\', '/');
    }
}
