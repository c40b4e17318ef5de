package micros.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import micros.spacefile.Problem;
import micros.spacefile.SpacefileReader;
import micros.spacefile.Reading;
import micros.util.UserError;

/** {@code micros validate [PATH] [--json]}: every problem at once; exit 0 when valid, 2 when not. */
public final class ValidateCommand {
    private ValidateCommand() {}

    public static int run(List<String> args, PrintStream out) {
        Options o = Options.parse("validate", args, List.of("--json"), List.of());
        String given = o.positional(1, "one Spacefile path");
        Path file;
        Reading read;
        try {
            file = SpacefileReader.locate(given);
            read = SpacefileReader.read(file);
        } catch (UserError e) {
            if (!o.flag("--json")) throw e;
            // scripts get JSON whatever happened: the one problem, at no line
            Problem p = new Problem(Problem.Severity.ERROR, false, given == null ? "Spacefile" : given, 0, 0, "", e.getMessage());
            out.println("[" + p.toJson() + "]");
            return e.exitCode();
        }
        List<Problem> sizes = read.sizeProblems(Problem.Severity.ERROR); // Space refused packages past its limits
        List<Problem> all = new java.util.ArrayList<>(read.problems());
        all.addAll(sizes);
        Reading r = new Reading(sizes.isEmpty() ? read.app() : null, all, read.positions());
        if (o.flag("--json")) {
            out.println(r.problems().stream().map(Problem::toJson).collect(Collectors.joining(",\n ", "[", "]")));
            return r.valid() ? 0 : UserError.CONFIG;
        }
        r.problems().forEach(out::println);
        long warnings = r.problems().size() - r.errors();
        String warned = warnings == 0 ? "" : " (" + plural(warnings, "warning") + ")";
        if (r.valid()) {
            out.println("ok: " + plural(r.app().micros().size(), "micro") + warned);
            return 0;
        }
        out.println(file + ": invalid: " + plural(r.errors(), "error") + warned);
        return UserError.CONFIG;
    }

    public static String plural(long n, String word) {
        return n + " " + word + (n == 1 ? "" : "s");
    }
}
