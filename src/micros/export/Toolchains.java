package micros.export;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a Spacefile's shell lines need from an image, as far as their programs tell: the first
 * word of each simple command. Space's builder had the toolchains its engines name; an image
 * here has only its own, so an export says which programs it cannot vouch for instead of
 * letting `docker build` fail on them.
 */
final class Toolchains {
    /** Where a program comes from. */
    enum Kind {
        GO, NODE, PYTHON,
        /** the shell and coreutils: in every Debian-based image */
        BASE,
        /** ./x or /x: shipped in the micro's folder or built by its commands */
        LOCAL,
        UNKNOWN
    }

    private static final Set<String> GO = Set.of("go", "gofmt");
    private static final Set<String> NODE = Set.of("node", "npm", "npx", "yarn", "pnpm", "corepack");
    private static final Set<String> PYTHON = Set.of("python", "python3", "python3.8", "python3.9", "pip", "pip3", "uvicorn", "gunicorn",
            "flask", "hypercorn");
    private static final Set<String> BASE = Set.of("sh", "bash", "dash", "cd", "chmod", "chown", "cp", "mv", "mkdir", "rm", "rmdir", "ln", "ls",
            "echo", "printf", "cat", "test", "[", "true", "false", "export", "set", "unset", "touch", "sed", "grep", "find", "tar", "gzip",
            "gunzip", "env", "exec", "sleep", "head", "tail", "sort", "uniq", "wc", "tr", "cut", "xargs", "install", "date", "basename",
            "dirname", "apt-get", "apt", "dpkg", ".", ":", "perl");
    /** Words that run the word after them. */
    private static final Set<String> PREFIXES = Set.of("exec", "env", "time", "nohup", "command", "sudo");

    private Toolchains() {}

    static Kind kind(String program) {
        if (program.startsWith("./") || program.startsWith("/") || program.startsWith("../")) return Kind.LOCAL;
        if (GO.contains(program)) return Kind.GO;
        if (NODE.contains(program)) return Kind.NODE;
        if (PYTHON.contains(program)) return Kind.PYTHON;
        if (BASE.contains(program)) return Kind.BASE;
        return Kind.UNKNOWN;
    }

    /** The programs the lines run, in order, once each. */
    static List<String> programs(List<String> lines) {
        Set<String> out = new LinkedHashSet<>();
        for (String line : lines)
            for (String command : line.split("&&|\\|\\||[;|&\\n()]")) {
                String[] words = command.strip().split("\\s+");
                int i = 0;
                while (i < words.length && (words[i].matches("[A-Za-z_][A-Za-z0-9_]*=.*") || PREFIXES.contains(words[i]))) i++;
                if (i < words.length && !words[i].isEmpty()) out.add(words[i].replaceAll("^[\"']|[\"']$", ""));
            }
        return new ArrayList<>(out);
    }

    /** The kinds the lines need beyond the shell and what the folder holds. */
    static Set<Kind> needs(List<String> lines) {
        Set<Kind> kinds = new LinkedHashSet<>();
        for (String p : programs(lines)) {
            Kind k = kind(p);
            if (k != Kind.BASE && k != Kind.LOCAL) kinds.add(k);
        }
        return kinds;
    }

    /** The programs of the lines that an image of {@code has} (plus the shell) does not provide. */
    static List<String> missing(List<String> lines, Kind has) {
        List<String> out = new ArrayList<>();
        for (String p : programs(lines)) {
            Kind k = kind(p);
            if (k != Kind.BASE && k != Kind.LOCAL && k != has) out.add(p);
        }
        return out;
    }
}
