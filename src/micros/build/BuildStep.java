package micros.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;

import micros.runtime.Builder;
import micros.runtime.Log;
import micros.sandbox.BuildSandbox;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.spacefile.Engine;

/**
 * Space's builder, run before any micro starts. Each micro gets its staged upload (what `space
 * push` uploaded: see {@link Stage}) in {@code .micros/build/<micro>/app}; there its dependencies
 * are installed (a virtualenv from requirements.txt beside it, node_modules from package.json),
 * its `commands` run, then the build its engine needs (react, vue, svelte, next, nuxt,
 * svelte-kit: `npm run build`), from source; then only `include` is kept. Everything is cached by
 * the hash of its inputs (the upload, the micro's settings and presets, the interpreter): an
 * unchanged app builds nothing. A build that fails leaves no output behind, is not remembered,
 * and runs again at the next start; its micro answers 503 while the others run. Each step runs
 * contained by {@link BuildSandbox}: as the micro's uid in its own view of the filesystem when
 * micros runs as root, and nothing it starts outlives it. With --dev, micros installs in the
 * micro's own folder instead, as `space dev` users did by hand.
 */
public final class BuildStep {
    private BuildStep() {}

    /**
     * What a run's builds are given.
     * @param state      micros' state folder (the stages are in its build/ folder)
     * @param shell      the environment micros was started with
     * @param path       PATH as the micro's user may search it (folders it cannot enter left out), by micro
     * @param install    false for --no-install
     * @param rebuild    --build: build every micro again, even when nothing changed (with --dev: run its commands in place)
     * @param dev        --dev: install in the micro's own folder, build nothing
     * @param ids        a micro's uid and gid when its build runs as its own user, else null
     * @param hidden     folders a build never sees: the owner's, micros' state folder, micros' CA
     * @param runDir     the run's folder (the CA bundle a build's tools are pointed at)
     * @param dataEnv    the data hosts and CA variables (waits for the data server: asked only when a step runs)
     * @param projectKey DETA_PROJECT_KEY
     * @param given      --env and --env-file values (the presets' values)
     */
    public record Settings(Path state, Map<String, String> shell, Function<String, String> path, boolean install, boolean rebuild, boolean dev,
                           Function<String, int[]> ids, boolean confine, List<Path> hidden, Path runDir, Supplier<Map<String, String>> dataEnv,
                           String projectKey, Map<String, String> given) {}

    /** PATH as a micro's user may search it, and one sentence naming the folders left out (null when none is). */
    public record SearchPath(String value, String note) {}

    /**
     * {@code path} without the folders the user a micro runs as cannot enter (a pyenv or cargo folder
     * under /root): a missing command then reads "not found", not "Permission denied".
     * @param ids   the micro's uid and gid when it is not micros' own user (as root), else null: then PATH stays whole
     * @param micro the micro's name, for the note
     */
    public static SearchPath searchPath(String path, int[] ids, String micro) {
        Access user = Access.of(ids);
        if (user == null) return new SearchPath(path, null);
        List<String> kept = new java.util.ArrayList<>(), seen = new java.util.ArrayList<>();
        Map<String, List<String>> dropped = new LinkedHashMap<>(); // the folder that closes the way -> PATH entries behind it
        for (String dir : path.split(java.io.File.pathSeparator, -1)) {
            if (dir.isEmpty() || seen.contains(dir)) continue;
            seen.add(dir);
            Path blocker = Files.isDirectory(Path.of(dir)) ? user.blocker(Path.of(dir).resolve(".")) : null; // a folder that is not there hides nothing
            if (blocker == null) kept.add(dir);
            else {
                dropped.putIfAbsent(blocker.toString(), new java.util.ArrayList<>());
                dropped.get(blocker.toString()).add(dir);
            }
        }
        if (dropped.isEmpty()) return new SearchPath(String.join(java.io.File.pathSeparator, kept), null);
        List<String> parts = new java.util.ArrayList<>();
        for (Map.Entry<String, List<String>> e : dropped.entrySet())
            parts.add(String.join(", ", e.getValue()) + " (" + user.who() + ", the user micro '" + micro + "' runs as, cannot enter " + e.getKey() + ")");
        return new SearchPath(String.join(java.io.File.pathSeparator, kept),
                "PATH for micros and their builds: left out " + String.join("; ", parts));
    }

    /** @param builds where the steps run; once it is closed (micros is stopping), no micro is built further */
    public static Map<String, Prepared> run(App app, Settings settings, Log log, BuildSandbox builds) {
        Map<String, Prepared> out = new LinkedHashMap<>();
        Path buildRoot = settings.state().resolve("build");
        try {
            // micros' user's alone: no uid outside a micro's namespace (another app's micro that gets the same uid later)
            // reaches a stage; each micro and each build step reaches its own through the mounts of its namespace
            micros.util.PrivateFiles.folder(buildRoot);
        } catch (IOException e) {
            for (Micro m : app.micros())
                out.put(m.name(), Prepared.failed("micro '" + m.name() + "': its build folder cannot be made in " + buildRoot + ": " + e.getMessage()));
            return out;
        }
        for (Micro m : app.micros()) {
            if (builds.closed()) break;
            // the interpreter is checked against, and its line names, the uid that very micro runs and builds as
            Access user = ownUser(m, settings.dev()) ? Access.of(settings.ids().apply(m.name())) : null;
            Context ctx = new Context(settings, log, user, builds, app);
            Path src = app.root().resolve(Builder.relative(m.src())).normalize();
            Prepared p = Prepared.NOTHING;
            if (Files.isDirectory(src)) // a missing src folder is reported with the other configuration problems
                p = settings.dev() ? inPlace(m, src, ctx) : staged(m, src, ctx);
            if (p.failure() != null) log.micro(m.name(), "build", "not started: " + p.failure());
            out.put(m.name(), p);
        }
        return out;
    }

    /** --dev: dependencies in the micro's own folder (and --build's commands there), no frontend build: dev servers build as they go. */
    private static Prepared inPlace(Micro m, Path src, Context ctx) {
        Prepared p = m.engine().python() ? PythonDeps.prepare(m, src, ctx) : NodeDeps.prepare(m, src, ctx);
        if (p.failure() == null && ctx.settings().rebuild()) p = commands(m, src, p, ctx);
        return p;
    }

    private static Prepared staged(Micro m, Path src, Context ctx) {
        String name = m.name();
        Path dir = ctx.dir(name), app = dir.resolve("app"), stampFile = dir.resolve("build.stamp");
        Stage.Owner owner = builds(m) ? ctx.owner(name) : null;
        Stage.Upload upload;
        try {
            Stage.makeDir(dir, null);
            Stage.Source source = Stage.Source.of(ctx.app(), src, ctx.settings().state());
            upload = Stage.scan(source);
            for (String w : upload.warnings()) ctx.log().micro(name, "build", w);
            for (String d : List.of("app", "venv", "home", "tmp")) Stage.own(dir.resolve(d), owner); // the micro may have another uid than last run
            String inputs = inputs(m, upload, ctx);
            if (!ctx.settings().rebuild() && Stamp.matches(stampFile, inputs) && Files.isDirectory(app, LinkOption.NOFOLLOW_LINKS)) {
                Prepared deps = deps(m, app, ctx);
                return deps.failure() != null ? deps : deps.in(app);
            }
            Stamp.clear(stampFile); // from here until it succeeds, the build is not done
            if (upload.ignored() > 0 && upload.entries().stream().allMatch(e -> e.path().equals(source.ignoreFile())))
                ctx.log().micro(name, "build", ctx.app().classic() != null
                        ? "its .detaignore and the deta CLI's defaults leave out all " + upload.ignored() + " files and folders of '" + m.src() + "': Deta would have deployed nothing"
                        : "its .spaceignore and Space's default ignore list leave out all " + upload.ignored()
                        + " files and folders of '" + m.src() + "': Space would have uploaded nothing");
            upload = Stage.sync(source, app, owner);
            inputs = inputs(m, upload, ctx);
            Prepared built = build(m, app, ctx);
            if (built.failure() != null) {
                Stage.discard(app, upload, Set.of(Stage.MODULES)); // a half-written output is never served nor taken as built
                return built;
            }
            if (ctx.install()) Stamp.write(stampFile, inputs); // with --no-install, the next full start builds again
            return built.in(app);
        } catch (IOException e) {
            return Prepared.failed("micro '" + name + "': its files cannot be staged in " + app + ": " + e.getMessage());
        }
    }

    /** Dependencies, `commands`, the engine's build, then `include`: in the stage, from its upload. */
    private static Prepared build(Micro m, Path app, Context ctx) throws IOException {
        Prepared deps = deps(m, app, ctx);
        if (deps.failure() != null) return deps;
        String output = NodeDeps.output(m, app);
        boolean had = output != null && Files.exists(app.resolve(output));
        Prepared p = commands(m, app, deps, ctx);
        if (p.failure() != null) return p;
        boolean madeByCommands = output != null && !had && Files.exists(app.resolve(output));
        if (m.engine() != Engine.STATIC) p = NodeDeps.frontend(m, app, ctx, madeByCommands);
        if (p.failure() != null) return p;
        if (m.engine() == Engine.STATIC && !m.commands().isEmpty() && m.serveFolder() != null && !Files.isDirectory(app.resolve(m.serveFolder())))
            return Prepared.failed("micro '" + m.name() + "': its commands did not make '" + m.serveFolder() + "', the folder it serves");
        Stage.include(app, m.include());
        return deps;
    }

    private static Prepared deps(Micro m, Path dir, Context ctx) {
        return m.engine().python() ? PythonDeps.prepare(m, dir, ctx) : NodeDeps.prepare(m, dir, ctx);
    }

    /** The micro's `commands`, each a step of its own in {@code dir}, its virtualenv first on PATH; the first that fails stops the build. */
    private static Prepared commands(Micro m, Path dir, Prepared deps, Context ctx) {
        int n = 0;
        for (String command : m.commands()) {
            n++;
            Step.Result r = Step.run(ctx, m.name(), command, List.of("/bin/sh", "-c", command), dir, ctx.toolEnv(m, Map.of(), deps.pathFirst()),
                    ctx.dir(m.name()).resolve("command-" + n + ".log"), ctx.confinement(m.name(), dir), true);
            if (!r.ok()) return Prepared.failed("micro '" + m.name() + "': build command '" + command + "' " + r.how());
        }
        return deps;
    }

    /**
     * Removes the build folders of micros the Spacefile no longer names (a stage, a virtualenv,
     * logs), said in one line. Never follows a link; files there are left alone.
     * @param micros every micro of the app, remote ones included
     */
    public static void removeStale(Path state, java.util.Collection<String> micros, Log log) {
        Path buildRoot = state.resolve("build");
        List<String> gone = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> dirs = Files.list(buildRoot)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (micros.contains(name) || !Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) continue;
                Stage.delete(d);
                gone.add(name);
            }
        } catch (java.nio.file.NoSuchFileException none) {
            return;
        } catch (IOException e) {
            log.event("builds: the build folders of micros no longer in the Spacefile could not all be removed from " + buildRoot + ": " + e.getMessage());
        }
        java.util.Collections.sort(gone);
        if (!gone.isEmpty())
            log.event("builds: removed the build folder" + (gone.size() == 1 ? "" : "s") + " of " + String.join(", ", gone)
                    + ", no longer in the Spacefile (" + buildRoot + ")");
    }

    /** Whether the micro runs a process, or builds in its stage: then as its own uid (as root). */
    private static boolean ownUser(Micro m, boolean dev) {
        return !m.engine().staticLike() || !dev && builds(m);
    }

    /** Whether the micro runs a process or builds something: then its stage is its own user's. */
    private static boolean builds(Micro m) {
        return !m.engine().staticLike() || m.engine() != Engine.STATIC || !m.commands().isEmpty();
    }

    /**
     * The build's inputs, hashed: the upload, everything of the micro's settings a build reads, the
     * values of its presets (a build may bake them in) and the interpreter that builds it.
     */
    private static String inputs(Micro m, Stage.Upload upload, Context ctx) {
        Fingerprint f = new Fingerprint().add("micros-build 1").add("engine " + m.engine()).add("serve " + m.serveFolder());
        for (String c : m.commands()) f.add("command " + c);
        for (String i : m.include()) f.add("include " + i);
        for (Map.Entry<String, String> e : new TreeMap<>(micros.runtime.MicroEnvironment.presets(m, false, ctx.settings().given(), ctx.shell())).entrySet())
            f.add("env " + e.getKey() + "=" + e.getValue());
        return f.add("tool " + tool(m, upload, ctx)).add("upload " + upload.digest()).hex();
    }

    /** The interpreter that installs and builds: Python's path and version, or node's version when package.json is uploaded. */
    private static String tool(Micro m, Stage.Upload upload, Context ctx) {
        if (m.engine().python()) {
            Interpreters.Choice py = Interpreters.python(m.engine(), ctx.shell(), ctx.user());
            return py.failure() != null ? "-" : PythonDeps.real(py.program()) + "@" + py.version();
        }
        boolean pkg = false;
        for (Stage.Entry e : upload.entries()) pkg |= e.path().equals("package.json");
        if (!pkg || m.engine() == Engine.CUSTOM || m.engine() == Engine.STATIC) return "-";
        Interpreters.Choice node = Interpreters.node(ctx.shell(), ctx.user());
        return node.failure() != null ? "-" : node.version();
    }
}
