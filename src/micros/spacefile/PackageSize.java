package micros.spacefile;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

import micros.util.Units;
import micros.spacefile.App.Micro;

/**
 * What Space would have packaged for a micro, measured in one walk of its folder: the source
 * (src minus the ignore rules, or only the `include` entries) and, separately, the dependencies
 * (node_modules, a virtualenv's site-packages). Space refused either past 250 MB.
 */
public final class PackageSize {
    public static final long LIMIT = 250L * 1024 * 1024;

    /** A path and its size in bytes. */
    public record Entry(String path, long bytes) {}

    /** The sizes, with the five largest paths of each part. */
    public record Sizes(long source, List<Entry> largestSource, long dependencies, List<Entry> largestDependencies, long files) {}

    private enum Mode { SOURCE, IGNORED, DEPENDENCY }

    private PackageSize() {}

    public static Sizes measure(Path src, List<String> include) throws IOException {
        return measure(src, include, SpaceIgnore.forSource(src));
    }

    /** With the ignore rules of the micro's platform ({@link Ignore#forMicro}). */
    public static Sizes measure(Path src, List<String> include, Ignore ignore) throws IOException {
        List<String> includes = new ArrayList<>();
        for (String i : include) {
            String p = i.strip();
            while (p.startsWith("./")) p = p.substring(2);
            while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
            if (!p.isEmpty()) includes.add(p);
        }
        PriorityQueue<Entry> topSource = new PriorityQueue<>((a, b) -> Long.compare(a.bytes(), b.bytes()));
        Map<String, Long> depEntries = new HashMap<>();
        long[] totals = new long[3]; // source, dependencies, files
        Deque<Mode> modes = new ArrayDeque<>();
        Deque<String> depRoots = new ArrayDeque<>(); // the node_modules or site-packages folder we are inside
        Files.walkFileTree(src, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                String rel = relative(src, dir);
                Mode parent = modes.isEmpty() ? Mode.SOURCE : modes.peek();
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                Mode mode = parent;
                if (parent != Mode.DEPENDENCY && (name.equals("node_modules") || (name.equals("site-packages") && rel.contains("lib/python")))) {
                    mode = Mode.DEPENDENCY;
                    depRoots.push(rel);
                } else if (parent == Mode.SOURCE && !rel.isEmpty() && excluded(rel, true)) {
                    // ignored, but a virtualenv inside may hold dependencies: look in it, count nothing else
                    if (!(name.equals(".venv") || name.equals("venv") || name.equals("virtualenv") || Files.exists(dir.resolve("pyvenv.cfg"))))
                        return FileVisitResult.SKIP_SUBTREE;
                    mode = Mode.IGNORED;
                }
                modes.push(mode);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                Mode m = modes.pop();
                if (m == Mode.DEPENDENCY && (modes.isEmpty() || modes.peek() != Mode.DEPENDENCY)) depRoots.pop();
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (!attrs.isRegularFile()) return FileVisitResult.CONTINUE;
                totals[2]++;
                Mode mode = modes.isEmpty() ? Mode.SOURCE : modes.peek();
                String rel = relative(src, file);
                long size = attrs.size();
                if (mode == Mode.DEPENDENCY) {
                    totals[1] += size;
                    String root = depRoots.peek();
                    String rest = rel.substring(root.length() + 1);
                    int slash = rest.indexOf('/');
                    if (slash > 0 && rest.startsWith("@")) slash = rest.indexOf('/', slash + 1); // @scope/package
                    depEntries.merge(root + "/" + (slash > 0 ? rest.substring(0, slash) : rest), size, Long::sum);
                } else if (mode == Mode.SOURCE && !excluded(rel, false)) {
                    totals[0] += size;
                    topSource.add(new Entry(rel, size));
                    if (topSource.size() > 5) topSource.poll();
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // unreadable: not packaged either
            }

            private boolean excluded(String rel, boolean dir) {
                if (!includes.isEmpty()) {
                    for (String i : includes) if (rel.equals(i) || rel.startsWith(i + "/") || (dir && i.startsWith(rel + "/"))) return false;
                    return true;
                }
                return ignore.ignored(rel, dir);
            }
        });
        List<Entry> source = new ArrayList<>(topSource);
        source.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
        List<Entry> deps = new ArrayList<>();
        depEntries.forEach((k, v) -> deps.add(new Entry(k, v)));
        deps.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
        return new Sizes(totals[0], source, totals[1], deps.subList(0, Math.min(5, deps.size())), totals[2]);
    }

    private static String relative(Path base, Path p) {
        return base.relativize(p).toString().replace('\\', '/');
    }

    /**
     * Problems for micros over Space's limits, as errors (validate) or warnings (run).
     * @param positions where each micro's mapping starts in the Spacefile (micro name -> {line, column})
     */
    public static List<Problem> check(App app, Problem.Severity severity, Map<String, int[]> positions) {
        List<Problem> out = new ArrayList<>();
        for (int i = 0; i < app.micros().size(); i++) {
            Micro m = app.micros().get(i);
            Path src = app.root().resolve(Validator.relative(m.src())).normalize();
            if (!Files.isDirectory(src)) continue;
            Sizes s;
            try {
                s = measure(src, m.include(), Ignore.forMicro(app, src));
            } catch (IOException e) {
                continue;
            }
            int[] at = positions.getOrDefault(m.name(), new int[] {1, 1});
            String field = "micros[" + i + "]";
            if (s.source() > LIMIT)
                out.add(new Problem(severity, false, app.spacefile().toString(), at[0], at[1], field,
                        "micro '" + m.name() + "' would package " + Units.formatSize(s.source()) + " of source and assets: " + app.platform() + " allowed at most "
                                + Units.formatSize(LIMIT) + "; the largest: " + list(s.largestSource()) + " (leave files out with " + (app.classic() != null ? ".detaignore)" : ".spaceignore or 'include')")));
            if (s.dependencies() > LIMIT)
                out.add(new Problem(severity, false, app.spacefile().toString(), at[0], at[1], field,
                        "micro '" + m.name() + "' has " + Units.formatSize(s.dependencies()) + " of dependencies: " + app.platform() + " allowed at most "
                                + Units.formatSize(LIMIT) + "; the largest: " + list(s.largestDependencies())));
        }
        return out;
    }

    private static String list(List<Entry> entries) {
        List<String> parts = new ArrayList<>();
        for (Entry e : entries) parts.add(e.path() + " (" + Units.formatSize(e.bytes()) + ")");
        return String.join(", ", parts);
    }
}
