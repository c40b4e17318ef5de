package micros.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import micros.spacefile.App.Micro;
import micros.spacefile.Engine;
import micros.util.Json;

/**
 * A Node micro's dependencies, as Space's builder installed them: `npm ci` with a lockfile,
 * else `npm install`, in its stage (with --dev, in its own folder, as the user's would be);
 * then the frontend build a react/vue/svelte/next/nuxt/svelte-kit micro needs.
 */
final class NodeDeps {
    private NodeDeps() {}

    /** @param dir where package.json is and node_modules goes: the micro's stage, or its src folder with --dev */
    static Prepared prepare(Micro m, Path dir, Context ctx) {
        String name = m.name();
        Engine e = m.engine();
        boolean runsOnNode = e == Engine.NODEJS16 || e == Engine.NEXT || e == Engine.NUXT || e == Engine.SVELTE_KIT;
        Path pkg = dir.resolve("package.json");
        // static and custom micros install what they need in their own `commands`, as on Space
        boolean installs = Files.isRegularFile(pkg) && e != Engine.STATIC && e != Engine.CUSTOM && !e.python();
        if (!installs && !runsOnNode) return Prepared.NOTHING;
        if (!installs) { // only the line saying which node runs: its version is asked off the start-up path (~70 ms)
            Interpreters.Choice reachable = Interpreters.reachableNode(ctx.shell(), ctx.user());
            if (reachable.absent()) return Prepared.NOTHING; // the runtime reports a missing node for the whole run, with exit code 1
            if (reachable.failure() != null) return Prepared.failed("micro '" + name + "': " + reachable.failure());
            Thread t = new Thread(() -> {
                String version = Interpreters.version(reachable.program(), List.of("--version"));
                say(ctx, m, new Interpreters.Choice(reachable.program(), version == null ? "(its version did not print)" : version, reachable.note(), null));
            }, "micros-node-version");
            t.setDaemon(true);
            t.start();
            return Prepared.NOTHING;
        }
        // builds run as the micro's user too (outside --dev): the node that builds is one it can run
        Interpreters.Choice node = Interpreters.node(ctx.shell(), runsOnNode || !ctx.dev() ? ctx.user() : null);
        if (node.absent() && runsOnNode) return Prepared.NOTHING; // the runtime reports a missing node for the whole run, with exit code 1
        if (node.failure() != null) return Prepared.failed("micro '" + name + "': " + node.failure());
        if (runsOnNode) say(ctx, m, node);
        String npm = npm(ctx);
        if (npm == null) return Prepared.failed("micro '" + name + "': npm is not on PATH: install npm (it comes with Node.js) to install package.json's dependencies");
        Map<String, String> env = env(m, ctx);

        Path lock = Files.exists(dir.resolve("package-lock.json")) ? dir.resolve("package-lock.json")
                : Files.exists(dir.resolve("npm-shrinkwrap.json")) ? dir.resolve("npm-shrinkwrap.json") : null;
        Path stampFile = ctx.dir(name).resolve("npm.stamp");
        String stamp = Stamp.of("node=" + node.version(), pkg, lock == null ? dir.resolve("package-lock.json") : lock);
        String verb = lock != null ? "ci" : "install";
        boolean haveModules = Files.isDirectory(dir.resolve("node_modules")) || !declaresDependencies(pkg); // npm makes none for a package without any
        if (haveModules && Stamp.matches(stampFile, stamp)) {
            ctx.log().micro(name, "build", "package.json: up to date (node_modules)");
        } else if (!ctx.install()) {
            ctx.log().micro(name, "build", "--no-install: npm " + verb + " not run" + (haveModules ? "; using node_modules as it is" : ""));
        } else {
            Stamp.clear(stampFile);
            Step.Result r = Step.run(ctx, name, "npm " + verb, List.of(npm, verb), dir, env, ctx.dir(name).resolve("npm.log"), ctx.confinement(name, dir));
            if (!r.ok()) return Prepared.failed("micro '" + name + "': its dependencies are not installed: " + r.failure());
            // npm install writes a lockfile: in place (--dev), the stamp is of what is there now, so the next start is up to date;
            // a stage keeps what was uploaded (the lockfile Space's builder wrote was never part of the package)
            if (ctx.dev()) stamp = Stamp.of("node=" + node.version(), pkg, lock != null ? lock : dir.resolve("package-lock.json"));
            else if (lock == null) {
                try {
                    Files.deleteIfExists(dir.resolve("package-lock.json"));
                } catch (IOException ex) {
                    return Prepared.failed("micro '" + name + "': its stage cannot be cleaned: " + ex.getMessage());
                }
            }
            Stamp.write(stampFile, stamp);
        }
        return Prepared.NOTHING;
    }

    private static void say(Context ctx, Micro m, Interpreters.Choice node) {
        ctx.log().micro(m.name(), "build", "runs on Node.js " + node.version() + " (" + node.program() + ")" + ctx.as() + "; " + ctx.ran(m)
                + (node.note().isEmpty() ? "" : "; " + node.note()));
    }

    /** The npm the build's user can run, or null. */
    private static String npm(Context ctx) {
        for (Path p : Interpreters.candidates("npm", ctx.shell()))
            if (ctx.dev() || ctx.user() == null || ctx.user().blocker(p) == null) return p.toString();
        return null;
    }

    private static Map<String, String> env(Micro m, Context ctx) {
        return ctx.toolEnv(m, Map.of("npm_config_update_notifier", "false", "npm_config_fund", "false", "npm_config_audit", "false"), null);
    }

    /** Where the engine's build writes (react/vue/svelte: the folder served), relative to the micro's folder; null when it has no build. */
    static String output(Micro m, Path dir) {
        return switch (m.engine()) {
            case REACT, VUE, SVELTE -> m.serveFolder();
            default -> m.engine().buildOutput(); // svelte-kit: its own folder; its adapter's output (adapter-node: build/) is what the runtime looks for
        };
    }

    /**
     * The engine's build, from source: `npm run build` in the stage, unless the micro's `commands`
     * just made its output. A micro whose package.json has no build script serves or runs what it uploaded.
     * @param madeByCommands the output appeared while the micro's commands ran
     */
    static Prepared frontend(Micro m, Path dir, Context ctx, boolean madeByCommands) {
        String output = output(m, dir);
        if (output == null || madeByCommands) return Prepared.NOTHING;
        boolean script = hasBuildScript(dir.resolve("package.json"));
        if (!script) {
            if (Files.exists(dir.resolve(output))) return Prepared.NOTHING;
            return Prepared.failed("micro '" + m.name() + "': '" + output + "' is not in its upload and package.json has no 'build' script to make it:"
                    + " add one (Space ran npm run build), or build it with the micro's 'commands'");
        }
        String npm = npm(ctx);
        if (npm == null) return Prepared.failed("micro '" + m.name() + "': npm, which builds '" + output + "', is not on PATH: install Node.js and npm");
        Step.Result r = Step.run(ctx, m.name(), "npm run build", List.of(npm, "run", "build"), dir, env(m, ctx),
                ctx.dir(m.name()).resolve("build.log"), ctx.confinement(m.name(), dir));
        if (!r.ok()) return Prepared.failed("micro '" + m.name() + "': its frontend build failed: " + r.failure());
        if (!Files.exists(dir.resolve(output)))
            return Prepared.failed("micro '" + m.name() + "': npm run build did not make '" + output + "'"
                    + (m.engine().staticLike() ? ": set 'serve' in the Spacefile to the folder your build writes" : ""));
        return Prepared.NOTHING;
    }

    /** Whether package.json names any dependency (npm then makes node_modules). */
    private static boolean declaresDependencies(Path pkg) {
        try {
            Map<String, Object> json = Json.object(Files.readString(pkg));
            for (String k : List.of("dependencies", "devDependencies", "optionalDependencies"))
                if (json.get(k) instanceof Map<?, ?> deps && !deps.isEmpty()) return true;
            return false;
        } catch (IOException | RuntimeException e) {
            return true; // unreadable: npm says what is wrong
        }
    }

    static boolean hasBuildScript(Path pkg) {
        return script(pkg, "build");
    }

    /** Whether package.json has this script. */
    static boolean script(Path pkg, String name) {
        try {
            Object scripts = Json.object(Files.readString(pkg)).get("scripts");
            return scripts instanceof Map<?, ?> s && s.get(name) instanceof String;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
