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

    /**
     * Where a step of the micro runs: as its uid in {@code workdir}, seeing only its build folder and
     * micros' run folder, writing only its stage; null when builds run as micros' own user.
     */
    BuildSandbox.Confinement confinement(String micro, Path workdir) {
        Stage.Owner owner = owner(micro);
        if (owner == null || dev()) return null;
        Path dir = dir(micro);
        List<Path> hidden = new ArrayList<>(settings.hidden());
        Path blocked = Sandbox.blocker(dir, owner.uid(), owner.gid());
        if (blocked != null && blocked.getParent() != null) hidden.add(blocked);
        return new BuildSandbox.Confinement(owner.uid(), owner.gid(), workdir, dir.resolve("tmp"),
                List.of(dir.resolve("app"), dir.resolve("venv"), dir.resolve("home")), List.of(dir, settings.runDir()), hidden);
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
        if (confinement(m.name(), dir(m.name())) != null) { // its own home (npm's and pip's caches) and /tmp, inside its stage
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
