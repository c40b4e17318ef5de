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
 * else `npm install`, in the micro's own folder (node_modules lives there, as a user's does);
 * then the frontend build a react/vue/svelte/next/nuxt/svelte-kit micro needs.
 */
final class NodeDeps {
    private NodeDeps() {}

    static Prepared prepare(Micro m, Path src, Context ctx) {
        String name = m.name();
        Engine e = m.engine();
        boolean runsOnNode = e == Engine.NODEJS16 || e == Engine.NEXT || e == Engine.NUXT || e == Engine.SVELTE_KIT;
        Path pkg = src.resolve("package.json");
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
        Interpreters.Choice node = Interpreters.node(ctx.shell(), runsOnNode ? ctx.user() : null);
        if (node.absent() && runsOnNode) return Prepared.NOTHING; // the runtime reports a missing node for the whole run, with exit code 1
        if (node.failure() != null) return Prepared.failed("micro '" + name + "': " + node.failure());
        if (runsOnNode) say(ctx, m, node);
        List<Path> npms = Interpreters.candidates("npm", ctx.shell());
        if (npms.isEmpty()) return Prepared.failed("micro '" + name + "': npm is not on PATH: install npm (it comes with Node.js) to install package.json's dependencies");
        String npm = npms.get(0).toString();
        Map<String, String> env = env(ctx);

        Path lock = Files.exists(src.resolve("package-lock.json")) ? src.resolve("package-lock.json")
                : Files.exists(src.resolve("npm-shrinkwrap.json")) ? src.resolve("npm-shrinkwrap.json") : null;
        Path dir = ctx.dir(name), stampFile = dir.resolve("npm.stamp");
        String stamp = Stamp.of("node=" + node.version(), pkg, lock == null ? src.resolve("package-lock.json") : lock);
        String verb = lock != null ? "ci" : "install";
        boolean haveModules = Files.isDirectory(src.resolve("node_modules"));
        if (haveModules && Stamp.matches(stampFile, stamp)) {
            ctx.log().micro(name, "build", "package.json: up to date (node_modules)");
        } else if (!ctx.install()) {
            ctx.log().micro(name, "build", "--no-install: npm " + verb + " not run" + (haveModules ? "; using node_modules as it is" : ""));
        } else {
            Stamp.clear(stampFile);
            Step.Result r = Step.run(ctx, name, "npm " + verb, List.of(npm, verb), src, env, dir.resolve("npm.log"));
            if (!r.ok()) return Prepared.failed("micro '" + name + "': its dependencies are not installed: " + r.failure());
            // npm install writes a lockfile: the stamp is of what is there now, so the next start is up to date
            Path after = lock != null ? lock : src.resolve("package-lock.json");
            Stamp.write(stampFile, Stamp.of("node=" + node.version(), pkg, after));
        }
        return Prepared.NOTHING;
    }

    private static void say(Context ctx, Micro m, Interpreters.Choice node) {
        ctx.log().micro(m.name(), "build", "runs on Node.js " + node.version() + " (" + node.program() + ")" + ctx.as() + "; " + ctx.ran(m)
                + (node.note().isEmpty() ? "" : "; " + node.note()));
    }

    private static Map<String, String> env(Context ctx) {
        return ctx.toolEnv(Map.of("npm_config_update_notifier", "false", "npm_config_fund", "false", "npm_config_audit", "false"));
    }

    /** react/vue/svelte: build when the folder to serve is missing; next/nuxt/svelte-kit: build when their output is missing. */
    static Prepared frontend(Micro m, Path src, Context ctx) {
        if (ctx.dev()) return Prepared.NOTHING; // dev servers build as they go
        String output = switch (m.engine()) {
            case REACT, VUE, SVELTE -> m.serveFolder();
            case NEXT -> ".next";
            case NUXT -> ".output";
            case SVELTE_KIT -> "build";
            default -> null;
        };
        if (output == null || Files.exists(src.resolve(output))) return Prepared.NOTHING;
        List<Path> npms = Interpreters.candidates("npm", ctx.shell());
        if (npms.isEmpty()) return Prepared.failed("micro '" + m.name() + "': '" + output + "' does not exist and npm, which builds it, is not on PATH: install Node.js and npm");
        String npm = npms.get(0).toString();
        Map<String, String> env = env(ctx);
        Path dir = ctx.dir(m.name());
        if (!hasBuildScript(src.resolve("package.json")))
            return Prepared.failed("micro '" + m.name() + "': '" + output + "' does not exist and package.json has no 'build' script to make it:"
                    + " add one (Space ran npm run build), or build it yourself");
        Step.Result r = Step.run(ctx, m.name(), "npm run build", List.of(npm, "run", "build"), src, env, dir.resolve("build.log"));
        if (!r.ok()) return Prepared.failed("micro '" + m.name() + "': its frontend build failed: " + r.failure());
        if (!Files.exists(src.resolve(output)))
            return Prepared.failed("micro '" + m.name() + "': npm run build did not make '" + output + "'"
                    + (m.engine().staticLike() ? ": set 'serve' in the Spacefile to the folder your build writes" : ""));
        return Prepared.NOTHING;
    }

    private static boolean hasBuildScript(Path pkg) {
        try {
            Object scripts = Json.object(Files.readString(pkg)).get("scripts");
            return scripts instanceof Map<?, ?> s && s.get("build") instanceof String;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
