package micros.build;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import micros.spacefile.Engine;

/**
 * Which interpreter runs a micro: the exact one its engine names (python3.9, python3.8) when
 * installed, else python3; always one the micro's user can execute, saying what was passed over.
 */
final class Interpreters {
    private Interpreters() {}

    /** The chosen program, its version ("3.11.2", "v20.1.0"), a note about what was passed over (or ""); or why there is none. */
    record Choice(Path program, String version, String note, String failure) {
        static Choice none(String why) {
            return new Choice(null, null, null, why);
        }

        /** Not installed at all (rather than installed where the micro's user cannot run it). */
        boolean absent() {
            return failure != null && failure.contains(" is not on PATH");
        }
    }

    /** An interpreter for a Python engine, or a failure sentence saying what to do. */
    static Choice python(Engine engine, Map<String, String> shell, Access user) {
        List<String> names = new ArrayList<>();
        if (engine == Engine.PYTHON39) names.add("python3.9");
        if (engine == Engine.PYTHON38) names.add("python3.8");
        names.add("python3");
        return pick(names, shell, user, List.of("-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"),
                "install Python 3 (apt-get install python3 python3-venv)", true);
    }

    /** The node that runs (and builds) a Node micro. */
    static Choice node(Map<String, String> shell, Access user) {
        return pick(List.of("node"), shell, user, List.of("--version"), "install Node.js (and npm)", false);
    }

    /** The node the micro's user can reach, without running it (its version is then not known: null). */
    static Choice reachableNode(Map<String, String> shell, Access user) {
        return pick(List.of("node"), shell, user, null, "install Node.js (and npm)", false);
    }

    /** @param systemDirs also look in /usr/local/bin, /usr/bin and /bin (python: micros runs the one it picks by its full path) */
    private static Choice pick(List<String> names, Map<String, String> shell, Access user, List<String> versionArgs, String install, boolean systemDirs) {
        Map<String, List<String>> passed = new java.util.LinkedHashMap<>(); // why -> programs skipped for it
        for (String name : names) {
            for (Path p : candidates(name, shell, systemDirs)) {
                Path blocker = user == null ? null : user.blocker(p);
                if (blocker != null) {
                    passed.computeIfAbsent(user.who() + ", the user micros run as, cannot enter " + blocker, k -> new ArrayList<>()).add(p.toString());
                    continue;
                }
                String version = versionArgs == null ? null : version(p, versionArgs);
                if (versionArgs != null && version == null) {
                    passed.computeIfAbsent("it did not run", k -> new ArrayList<>()).add(p.toString());
                    continue;
                }
                String note = passed.isEmpty() ? "" : "skipped " + skipped(passed);
                return new Choice(p, version, note, null);
            }
        }
        if (passed.isEmpty()) return Choice.none(names.get(names.size() - 1) + " is not on PATH: " + install);
        return Choice.none("no " + String.join(" or ", names) + " the micro's user can run: " + skipped(passed)
                + "; " + install + " where every user can run it (for example /usr/bin), run micros with --user set to a user that can, or with --no-sandbox");
    }

    private static String skipped(Map<String, List<String>> passed) {
        List<String> parts = new ArrayList<>();
        passed.forEach((why, programs) -> parts.add(String.join(", ", programs) + " (" + why + ")"));
        return String.join("; ", parts);
    }

    /** Every executable called {@code name} on PATH (npm, node). */
    static List<Path> candidates(String name, Map<String, String> shell) {
        return candidates(name, shell, false);
    }

    private static List<Path> candidates(String name, Map<String, String> shell, boolean systemDirs) {
        Set<Path> found = new LinkedHashSet<>();
        List<String> dirs = new ArrayList<>(List.of(shell.getOrDefault("PATH", "").split(File.pathSeparator)));
        if (systemDirs) dirs.addAll(List.of("/usr/local/bin", "/usr/bin", "/bin"));
        for (String dir : dirs) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) found.add(p); // a link to a good one may sit in a closed folder: keep both
        }
        return List.copyOf(found);
    }

    private static final java.util.concurrent.ConcurrentHashMap<List<String>, java.util.Optional<String>> VERSIONS = new java.util.concurrent.ConcurrentHashMap<>();

    /** The program's version line, or null when it does not run; asked once per program and run (each spawn costs tens of ms at start-up). */
    static String version(Path program, List<String> args) {
        List<String> key = new ArrayList<>(List.of(program.toString()));
        key.addAll(args);
        return VERSIONS.computeIfAbsent(key, k -> java.util.Optional.ofNullable(ask(program, args))).orElse(null);
    }

    private static String ask(Path program, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(program.toString()));
        cmd.addAll(args);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 && !out.isEmpty() ? out.lines().reduce((x, y) -> y).orElse(out) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
