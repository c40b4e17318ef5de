package micros.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import micros.classic.ClassicInit;
import micros.classic.ClassicReader;
import micros.spacefile.Detector;
import micros.spacefile.Detector.Candidate;
import micros.spacefile.SpacefileReader;
import micros.util.UserError;

/**
 * {@code micros init [DIR]}: proposes a Spacefile for an existing project, as Space's CLI did
 * ("No Spacefile found, trying to auto-detect configuration ..."), and writes it after
 * confirmation. It never overwrites a Spacefile and never guesses between two engines.
 */
public final class InitCommand {
    private InitCommand() {}

    /** A micro found in a folder: what Detector proposes, or a Deta Cloud micro (classic, read from its prog_info). */
    private record Found(Path folder, Candidate candidate, micros.spacefile.App classic) {
        Found(Path folder, Candidate candidate) {
            this(folder, candidate, null);
        }

        String engine() {
            return classic != null ? classic.micros().get(0).engine().id() : candidate.engine().id();
        }
    }

    /** The page of the starter proposed for a folder with nothing to detect. */
    static final String STARTER_PAGE = "index.html";
    private static final String STARTER_HTML = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>My app</title></head>
            <body>
            <h1>It runs.</h1>
            <p>This page is the app's primary micro (a static one). Add a micro for your code in a folder of its own,
            for example <code>api/main.py</code>, and a block for it in the Spacefile; then
            <code>java -jar micros.jar validate</code> and <code>java -jar micros.jar run</code>.</p>
            </body>
            </html>
            """;

    /** At most this many micros in a Spacefile (Space's rule). */
    static final int MAX_MICROS = 5;

    public static int run(List<String> args, InputStream stdin, PrintStream out) {
        return run(args, stdin, out, System.err);
    }

    /** Only the proposed Spacefile goes to {@code out} (so {@code init --print > Spacefile} works); progress and questions to {@code err}. */
    public static int run(List<String> args, InputStream stdin, PrintStream out, PrintStream err) {
        Options o = Options.parse("init", args, List.of("--yes", "--print"), List.of());
        if (o.flag("--yes") && o.flag("--print"))
            throw UserError.config("--yes writes the Spacefile and --print only shows it: give one of them");
        Path root = Path.of(o.positional(1, "one folder") == null ? "." : o.positional(1, "one folder")).toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) throw UserError.config(root + " is not a folder");
        Path spacefile = root.resolve("Spacefile");
        boolean exists = Files.exists(spacefile);
        if (exists && !o.flag("--print"))
            throw UserError.config(spacefile + " already exists: init never overwrites it (edit it, or remove it first)");
        boolean ask = !o.flag("--yes") && !o.flag("--print");
        BufferedReader answers = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        err.println(exists ? spacefile + " exists (it is not changed); what init would propose for " + root + " ..."
                : "No Spacefile found, trying to auto-detect the configuration of " + root + " ...");
        List<Found> found = new ArrayList<>();
        try {
            // as Space's CLI: a root folder that is itself a micro is the app; else each folder one level down
            List<Path> folders = Detector.detect(root).isEmpty() && ClassicReader.find(root) == null ? Detector.folders(root) : List.of(root);
            for (Path folder : folders) {
                if (ClassicReader.find(folder) != null) { // a Deta Cloud micro: converted from what its prog_info says
                    found.add(new Found(folder, null, ClassicReader.read(ClassicReader.find(folder)).app()));
                    continue;
                }
                List<Candidate> c = Detector.detect(folder);
                if (c.isEmpty()) continue;
                if (c.size() == 1) {
                    found.add(new Found(folder, c.get(0)));
                    continue;
                }
                Candidate chosen = choose(root, folder, c, ask, answers, err);
                if (chosen != null) found.add(new Found(folder, chosen));
            }
        } catch (IOException e) {
            throw UserError.runtime("cannot read " + root + ": " + e.getMessage());
        }
        boolean starter = found.isEmpty();
        if (starter) { // nothing to detect: a page to start from, which runs anywhere (no runtime, no install)
            err.println("no micro found in " + root + " or its folders (looked for package.json, requirements.txt, Pipfile, setup.py, main.py,"
                    + " go.mod, Cargo.toml, index.html): proposing a starter, a static page in index.html");
            found.add(new Found(root, new Candidate(micros.spacefile.Engine.STATIC, "a starter: index.html, written beside the Spacefile", null,
                    List.of(), List.of(), ".")));
        }
        if (found.size() > MAX_MICROS) {
            StringBuilder list = new StringBuilder();
            for (Found f : found) list.append(list.length() == 0 ? "" : ", ").append(rel(root, f.folder)).append(" (").append(f.engine()).append(')');
            throw UserError.config("found " + found.size() + " micros but a Spacefile holds at most " + MAX_MICROS + ": " + list
                    + "; nothing written: drop or merge folders until " + MAX_MICROS + " remain (init skips hidden folders and "
                    + String.join(", ", Detector.SKIPPED) + "), or write the Spacefile by hand");
        }
        List<String> notes = new ArrayList<>();
        String text = spacefile(root, found, notes);
        var proposal = SpacefileReader.parse(text, spacefile);
        if (!proposal.valid()) // never hand out a file that validate refuses
            throw UserError.runtime("the proposed Spacefile does not pass validate (" + proposal.problems() + "): nothing written; write it by hand");
        err.println(starter ? "micros proposes a starter:" : "micros detected the following configuration:");
        for (Found f : found)
            err.println("  micro found in \"" + rel(root, f.folder) + "\": " + (f.classic != null ? ClassicInit.found(f.classic)
                    : "engine " + f.candidate.engine() + " (" + f.candidate.why() + ")"));
        notes.forEach(n -> err.println("  note: " + n));
        err.println();
        out.print(text);
        out.flush();
        if (o.flag("--print")) return 0;
        err.println();
        String what = starter ? spacefile + " and " + root.resolve(STARTER_PAGE) : spacefile.toString();
        if (ask && !"y".equalsIgnoreCase(prompt(answers, err, "Write this to " + what + "? [y/N] ", "use --yes to write it, --print to only look"))) {
            err.println("nothing written");
            return 1; // the user said no: not an error of theirs (2), but nothing was made
        }
        try {
            if (starter) Files.writeString(root.resolve(STARTER_PAGE), STARTER_HTML, java.nio.file.StandardOpenOption.CREATE_NEW);
            Files.writeString(spacefile, text);
        } catch (IOException e) {
            throw UserError.runtime("cannot write " + what + ": " + e.getMessage());
        }
        var reading = SpacefileReader.read(spacefile);
        err.println("wrote " + what + (reading.valid() ? " (valid: " + ValidateCommand.plural(reading.app().micros().size(), "micro") + ")" : ""));
        return 0;
    }

    /** Several engines fit one folder: the user picks; without a terminal to ask, micros says so and stops. */
    private static Candidate choose(Path root, Path folder, List<Candidate> options, boolean ask, BufferedReader answers, PrintStream out) {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < options.size(); i++)
            list.append(i == 0 ? "" : ", ").append(options.get(i).engine()).append(" (").append(options.get(i).why()).append(')');
        if (!ask)
            throw UserError.config("several engines fit \"" + rel(root, folder) + "\": " + list + "; run '" + micros.util.Programs.INVOCATION + " init' in a terminal, without --yes or --print, to choose");
        out.println("Several engines fit \"" + rel(root, folder) + "\":");
        for (int i = 0; i < options.size(); i++) out.println("  " + (i + 1) + ") " + options.get(i).engine() + " (" + options.get(i).why() + ")");
        out.println("  " + (options.size() + 1) + ") none: leave this folder out");
        String a = prompt(answers, out, "Which one? [1-" + (options.size() + 1) + "] ", "answer with a number in a terminal, or write the Spacefile by hand");
        try {
            int n = Integer.parseInt(a.strip());
            if (n >= 1 && n <= options.size()) return options.get(n - 1);
            if (n == options.size() + 1) return null;
        } catch (NumberFormatException ignored) {
            // below
        }
        throw UserError.config("no engine chosen for \"" + rel(root, folder) + "\": nothing written");
    }

    /** Asks on {@code out}; at the end of input, stops saying {@code otherwise} (advice that fits this question). */
    private static String prompt(BufferedReader in, PrintStream out, String question, String otherwise) {
        out.print(question);
        out.flush();
        try {
            String line = in.readLine();
            if (line == null) throw UserError.config("no answer (end of input): nothing written; " + otherwise);
            return line.strip();
        } catch (IOException e) {
            throw UserError.config("no answer: nothing written");
        }
    }

    /** The Spacefile text: one micro per folder; the frontend (or the project's own folder) is primary. */
    static String spacefile(Path root, List<Found> found, List<String> notes) {
        int primary = 0;
        for (int i = 0; i < found.size(); i++) if (found.get(i).candidate != null && found.get(i).candidate.frontend()) { primary = i; break; }
        if (found.get(primary).candidate == null || !found.get(primary).candidate.frontend())
            for (int i = 0; i < found.size(); i++) if (found.get(i).folder.equals(root)) { primary = i; break; }
        long crons = found.stream().filter(f -> f.classic != null && f.classic.classic().hasCron()).count();
        StringBuilder sb = new StringBuilder("# Spacefile written by micros init; check it with: " + micros.util.Programs.INVOCATION + " validate\nv: 0\nmicros:\n");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < found.size(); i++) {
            Found f = found.get(i);
            Candidate c = f.candidate;
            String base = f.classic != null ? ClassicInit.name(f.classic) : Detector.name(f.folder);
            String name = base;
            for (int n = 2; !names.add(name); n++) name = base + "-" + n;
            if (f.classic != null) {
                if (i == primary && found.size() > 1)
                    sb.append("  # each Deta Cloud micro had its own address: this one answers at /, the others at /<name>\n");
                var converted = ClassicInit.micro(f.classic, name, yaml(rel(root, f.folder)), i == primary,
                        crons > 1 ? name + "-cron" : ClassicReader.CRON_ACTION);
                sb.append(converted.yaml());
                notes.addAll(converted.notes());
                continue;
            }
            sb.append("  - name: ").append(name).append('\n')
                    .append("    src: ").append(yaml(rel(root, f.folder))).append('\n')
                    .append("    engine: ").append(c.engine()).append('\n');
            if (i == primary) sb.append("    primary: true\n");
            if (c.serve() != null) sb.append("    serve: ").append(yaml(c.serve())).append('\n');
            if (!c.commands().isEmpty()) {
                sb.append("    commands:\n");
                for (String cmd : c.commands()) sb.append("      - ").append(yaml(cmd)).append('\n');
            }
            if (!c.include().isEmpty()) {
                sb.append("    include:\n");
                for (String inc : c.include()) sb.append("      - ").append(yaml(inc)).append('\n');
            }
            if (c.run() != null) sb.append("    run: ").append(yaml(c.run())).append('\n');
        }
        return sb.toString();
    }

    private static String rel(Path root, Path folder) {
        String r = root.relativize(folder).toString();
        return r.isEmpty() ? "." : "./" + r;
    }

    /** Plain when YAML reads it back as the same text, else double-quoted. */
    static String yaml(String s) {
        boolean plain = !s.isEmpty() && s.matches("[A-Za-z0-9./_$-][A-Za-z0-9 ./_$:=-]*") && !s.contains(": ") && !s.endsWith(":")
                && !s.endsWith(" ") && !List.of("true", "false", "null", "~", "yes", "no").contains(s.toLowerCase(java.util.Locale.ROOT))
                && !s.matches("[-+]?[0-9.]+");
        return plain ? s : micros.util.Json.quote(s);
    }
}
