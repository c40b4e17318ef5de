package micros.build;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import micros.runtime.Builder;
import micros.runtime.Log;
import micros.sandbox.BuildSandbox;
import micros.spacefile.App;
import micros.spacefile.App.Micro;

/**
 * Space's builder, run before any micro starts: each micro's dependencies (a virtualenv from
 * requirements.txt, node_modules from package.json), then its `commands` with --build, then
 * the frontend build its engine needs. Installs are cached by what they were made from. A micro
 * whose install or build fails is reported and left out (it answers 503); the others run.
 * Everything runs as the user who runs micros, as a hand-typed pip or npm install would, each
 * step contained by {@link BuildSandbox}: nothing it starts outlives it.
 */
public final class BuildStep {
    private BuildStep() {}

    /**
     * @param buildRoot  the state folder's build/ folder
     * @param ids        the uid and gid a micro runs as when that is not micros' own user (as root), else null
     * @param install    false for --no-install
     * @param commands   true for --build: run each micro's `commands` after its install (a failure stops micros)
     * @param builds     where the steps run; once it is closed (micros is stopping), no micro is built further
     */
    public static Map<String, Prepared> run(App app, Path buildRoot, Log log, Map<String, String> shell, java.util.function.Function<String, int[]> ids,
                                            boolean install, boolean commands, boolean dev, BuildSandbox builds) {
        Map<String, Prepared> out = new LinkedHashMap<>();
        for (Micro m : app.micros()) {
            if (builds.closed()) break;
            // a process micro's interpreter is checked against, and its line names, the uid that very micro runs as
            Access user = m.engine().staticLike() ? null : Access.of(ids.apply(m.name()));
            Context ctx = new Context(buildRoot, log, shell, user, install, dev, builds, app);
            Path src = app.root().resolve(Builder.relative(m.src())).normalize();
            Prepared p = Prepared.NOTHING;
            if (java.nio.file.Files.isDirectory(src)) { // a missing src folder is reported with the other configuration problems
                p = m.engine().python() ? PythonDeps.prepare(m, src, ctx) : NodeDeps.prepare(m, src, ctx);
                if (p.failure() == null && commands) Builder.runMicro(app, m, log, p.pathFirst(), builds);
                if (p.failure() == null && !m.engine().python()) p = NodeDeps.frontend(m, src, ctx);
            }
            if (p.failure() != null) log.micro(m.name(), "build", "not started: " + p.failure());
            out.put(m.name(), p);
        }
        return out;
    }
}
