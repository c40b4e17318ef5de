package micros.spacefile;

import java.util.List;

/** What reading a Spacefile gave: the app when there is no error, and all problems (errors and warnings). */
public record Reading(App app, List<Problem> problems, java.util.Map<String, int[]> positions) {
    /** Space's package size limits for a valid app, as problems of the given severity. */
    public List<Problem> sizeProblems(Problem.Severity severity) {
        return app == null ? List.of() : PackageSize.check(app, severity, positions);
    }

    public boolean valid() {
        return app != null;
    }

    public long errors() {
        return problems.stream().filter(Problem::isError).count();
    }
}
