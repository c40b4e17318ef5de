package micros.export;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import micros.util.Json;

/**
 * The files a micro's dependency install reads, copied into its image before the rest of its
 * folder so that a change to the code does not install the dependencies again: requirements.txt
 * and what it names in the folder (-r, -c, -e, --find-links, ./vendor/x.whl, file:...), or
 * package.json, its lockfile, .npmrc and its file: dependencies. Only paths the upload holds are
 * named ("dir/" for a folder); anything else in those files is left to pip or npm.
 */
final class DependencyFiles {
    private static final Set<String> TAKES_PATH = Set.of("-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-f", "--find-links");
    private static final Set<String> REQUIREMENT_FILES = Set.of("-r", "--requirement", "-c", "--constraint");

    private DependencyFiles() {}

    /** requirements.txt and the local files it names, or nothing when the upload has no requirements.txt. */
    static List<String> python(Path src, List<String> upload) {
        if (!upload.contains("requirements.txt")) return List.of();
        Set<String> out = new LinkedHashSet<>();
        requirements(src, "requirements.txt", upload, out, 0);
        return new ArrayList<>(out);
    }

    private static void requirements(Path src, String file, List<String> upload, Set<String> out, int depth) {
        if (!out.add(file) || depth > 4) return;
        List<String> lines;
        try {
            lines = Files.readAllLines(src.resolve(file));
        } catch (IOException | RuntimeException e) {
            return; // pip reports it
        }
        String dir = file.contains("/") ? file.substring(0, file.lastIndexOf('/') + 1) : "";
        for (String line : lines) {
            String t = line.replaceAll("(^|\\s)#.*$", "").strip();
            if (t.isEmpty()) continue;
            String[] words = t.split("\\s+");
            for (int i = 0; i < words.length; i++) {
                String w = words[i], value = w;
                boolean nested = false;
                if (TAKES_PATH.contains(w) && i + 1 < words.length) {
                    nested = REQUIREMENT_FILES.contains(w);
                    value = words[++i];
                } else if (w.startsWith("-")) {
                    int eq = w.indexOf('=');
                    if (eq < 0 || !TAKES_PATH.contains(w.substring(0, eq))) continue;
                    nested = REQUIREMENT_FILES.contains(w.substring(0, eq));
                    value = w.substring(eq + 1);
                }
                String found = local(dir + strip(value), upload);
                if (found == null) continue;
                if (nested && !found.endsWith("/")) requirements(src, found, upload, out, depth + 1);
                else out.add(found);
            }
        }
    }

    /** A requirement's path as written: without file:, an #egg= fragment or [extras]. */
    private static String strip(String v) {
        String s = v.startsWith("file:") ? v.substring(5) : v;
        int hash = s.indexOf('#');
        if (hash >= 0) s = s.substring(0, hash);
        int bracket = s.indexOf('[');
        if (bracket > 0) s = s.substring(0, bracket);
        return s;
    }

    /** package.json, its lockfile, .npmrc and the file: dependencies, or nothing without package.json. */
    static List<String> node(Path src, List<String> upload) {
        if (!upload.contains("package.json")) return List.of();
        Set<String> out = new LinkedHashSet<>(List.of("package.json"));
        for (String f : List.of("package-lock.json", "npm-shrinkwrap.json", ".npmrc")) if (upload.contains(f)) out.add(f);
        try {
            Map<String, Object> pkg = Json.object(Files.readString(src.resolve("package.json")));
            for (String field : List.of("dependencies", "devDependencies", "optionalDependencies"))
                if (pkg.get(field) instanceof Map<?, ?> deps)
                    for (Object v : deps.values())
                        if (v instanceof String s && s.startsWith("file:")) {
                            String found = local(s.substring(5), upload);
                            if (found != null) out.add(found);
                        }
        } catch (IOException | RuntimeException e) {
            // npm reports a package.json it cannot read
        }
        return new ArrayList<>(out);
    }

    /** Whether npm ci (a lockfile) or npm install installs the dependencies. */
    static boolean locked(List<String> upload) {
        return upload.contains("package-lock.json") || upload.contains("npm-shrinkwrap.json");
    }

    /** The upload's file at that relative path, or its folder as "dir/", or null. */
    private static String local(String path, List<String> upload) {
        String p = path;
        while (p.startsWith("./")) p = p.substring(2);
        while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        if (p.isEmpty() || p.startsWith("/")) return null;
        String normal = Path.of(p).normalize().toString().replace('\\', '/');
        if (normal.isEmpty() || normal.startsWith("..")) return null;
        if (upload.contains(normal)) return normal;
        for (String f : upload) if (f.startsWith(normal + "/")) return normal + "/";
        return null;
    }
}
