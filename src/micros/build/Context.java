package micros.build;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import micros.runtime.Log;
import micros.sandbox.BuildSandbox;
import micros.sandbox.Sandbox;
import micros.spacefile.App.Micro;

/**
 * What every build step of a run shares.
 * @param settings what the run was told and found (see {@link BuildStep.Settings})
 * @param user     the user this micro runs and builds as (its own uid, as root); null when that is micros' own user
 * @param builds   where each step's processes run, and are ended
 * @param app      the app being built
 */
record Context(BuildStep.Settings settings, Log log, Access user, BuildSandbox builds, micros.spacefile.App app) {

    /** "Space ran Python 3.9", or what Deta ran a Deta Cloud micro on: for the line saying which version runs. */
    String ran(Micro m) {
        return app.ran(m);
    }

    /** " as uid 900003" (the user the micro runs as, for its interpreter line), or "" when it runs as micros' own user. */
    String as() {
        return user == null ? "" : " as " + user.who();
    }

    Path buildRoot() {
        return settings.state().resolve("build");
    }

    /** The micro's build folder: its stage (app), virtualenv, build home and /tmp, logs and stamps. */
    Path dir(String micro) {
        return buildRoot().resolve(micro);
    }

    Map<String, String> shell() {
        return settings.shell();
    }

    boolean install() {
        return settings.install();
    }

    boolean dev() {
        return settings.dev();
    }

    /** Who owns the micro's stage and runs its build: its own uid (micros runs as root, sandbox on), else null: micros' user. */
    Stage.Owner owner(String micro) {
        int[] ids = settings.ids().apply(micro);
        return ids == null ? null : new Stage.Owner(ids[0], ids[1]);
    }

    /** What a build runs by name (an install script, a `commands` line): kept in its root with their installations when PATH finds them. */
    static final List<String> TOOLS = List.of("node", "npm", "npx", "python3", "python", "pip", "pip3");

    /**
     * Where a step of the micro runs: in {@code workdir}, in a root of its own holding the system, the
     * build's tools, its build folder (writing only its stage, virtualenv and home), micros' run folder
     * and the owner's wheel folders; as the micro's uid when micros runs as root, else as micros' own
     * user in a user namespace. Null with the sandbox off and with --dev: the step then sees what
     * micros' user sees.
     */
    BuildSandbox.Confinement confinement(String micro, Path workdir) {
        if (!confined(micro)) return null;
        Stage.Owner owner = owner(micro);
        Path dir = dir(micro).toAbsolutePath().normalize();
        List<Path> hidden = new ArrayList<>(settings.hidden());
        hidden.add(settings.state().toAbsolutePath().normalize());
        Path blocked = owner == null ? null : Sandbox.blocker(dir, owner.uid(), owner.gid());
        if (blocked != null && blocked.getParent() != null) hidden.add(blocked);
        List<Path> programs = new ArrayList<>(Sandbox.programs(List.of(), TOOLS, settings.path().apply(micro)));
        Path madeFrom = PythonDeps.madeFrom(dir); // the virtualenv's interpreter: its links, the steps' to rewrite, are not followed
        if (madeFrom != null) programs.add(madeFrom);
        return new BuildSandbox.Confinement(owner == null ? BuildSandbox.Confinement.OWN : owner.uid(), owner == null ? BuildSandbox.Confinement.OWN : owner.gid(),
                workdir, dir, settings.runDir().toAbsolutePath().normalize(),
                List.of(dir.resolve("app"), dir.resolve("venv"), dir.resolve("home")), wheelFolders(shell()), programs, hidden);
    }

    /** Whether the micro's steps run in a root of their own (see {@link #confinement}): the sandbox is on, or they change uid. */
    boolean confined(String micro) {
        return !dev() && (settings.confine() || owner(micro) != null);
    }

    /**
     * The folders the owner's environment gives pip to install from (PIP_FIND_LINKS, and the indexes
     * when file: URLs): a build's root keeps them, read-only, so an offline install still works. The
     * shell's alone: a Spacefile's presets name no folder of the machine.
     */
    static List<Path> wheelFolders(Map<String, String> shell) {
        List<Path> out = new ArrayList<>();
        for (String var : List.of("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL")) {
            for (String word : shell.getOrDefault(var, "").trim().split("\\s+")) {
                Path p;
                if (word.startsWith("file:")) {
                    try {
                        p = Path.of(java.net.URI.create(word));
                    } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                        continue;
                    }
                } else if (var.equals("PIP_FIND_LINKS") && word.startsWith("/")) {
                    p = Path.of(word);
                } else {
                    continue; // a URL: the network is the build's
                }
                p = p.toAbsolutePath().normalize();
                if (java.nio.file.Files.isRegularFile(p)) p = p.getParent(); // a wheel named by its file
                if (p != null && !var.equals("PIP_FIND_LINKS")) p = indexHome(p);
                if (p != null && java.nio.file.Files.isDirectory(p) && !out.contains(p)) out.add(p);
            }
        }
        return out;
    }

    /**
     * What a file: index needs kept: a local index keeps its pages in {@code simple/} and links them to
     * the files beside it ({@code ../../files/x.whl}, as dir2pi and mirror tools lay them out), so its
     * parent goes with it; unless that parent is the root, a top-level folder or a home, then the
     * index folder alone (its files must then be inside it).
     */
    static Path indexHome(Path index) {
        Path parent = index.getParent();
        if (parent == null || !index.getFileName().toString().equals("simple") || parent.getNameCount() < 2) return index;
        if (parent.getParent().equals(Path.of("/home")) || parent.startsWith("/root")) return index;
        return parent;
    }

    /**
     * A step's environment: the shell's (pip and npm get it whole: indexes, proxies, offline wheel
     * folders) with a few defaults that keep tools quiet, PATH as the build's user may search it,
     * and what Space's builder had: DETA_PROJECT_KEY, the data hosts and CA bundle, the micro's presets.
     * @param pathFirst a folder put first on PATH (the micro's virtualenv), or null
     */
    Map<String, String> toolEnv(Micro m, Map<String, String> defaults, Path pathFirst) {
        Map<String, String> env = new HashMap<>(defaults);
        env.putAll(shell());
        env.keySet().removeAll(micros.runtime.MicroEnvironment.SECRETS); // builds need no owner token or API keys
        String path = dev() ? shell().getOrDefault("PATH", "/usr/bin:/bin") : settings.path().apply(m.name());
        env.put("PATH", pathFirst == null ? path : pathFirst + java.io.File.pathSeparator + path);
        env.putAll(micros.runtime.MicroEnvironment.presets(m, dev(), settings.given(), shell()));
        env.put("DETA_PROJECT_KEY", settings.projectKey());
        env.putAll(settings.dataEnv().get());
        if (confined(m.name())) { // its own home (npm's and pip's caches) and /tmp, inside its stage
            env.put("HOME", dir(m.name()).resolve("home").toString());
            env.put("TMPDIR", "/tmp");
        }
        return env;
    }

    /** The micro's stage and build folders exist, for a step to run in. */
    void prepareDirs(String micro) throws java.io.IOException {
        Stage.Owner owner = owner(micro);
        Path dir = dir(micro);
        for (String d : List.of("venv", "home")) Stage.makeDir(dir.resolve(d), owner);
        Stage.fresh(dir.resolve("tmp"), owner);
    }
}
