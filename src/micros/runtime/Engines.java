package micros.runtime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import micros.spacefile.App.Micro;
import micros.spacefile.Engine;

/** How each engine starts, as Space ran it (or as `space dev` did with --dev). */
public final class Engines {
    private Engines() {}

    /** How one micro starts: served from a folder, run as a process, or not at all (with the reason). */
    public sealed interface Start permits Folder, Command, Unavailable {
        String describe();
    }

    /** A static-like micro: the gateway serves this folder itself. */
    public record Folder(Path folder, String relative) implements Start {
        public String describe() {
            return "files in " + relative + " (served by micros)";
        }
    }

    /** A process: {@code /bin/sh -c line} in the src folder (or a launcher from the jar), with extra environment. */
    public record Command(List<String> argv, String shown, Map<String, String> env, List<String> runtimes) implements Start {
        public String describe() {
            return shown;
        }
    }

    public record Unavailable(String reason) implements Start {
        public String describe() {
            return "cannot start: " + reason;
        }
    }

    /**
     * @param srcDir    the micro's code: its built stage (its src folder with --dev)
     * @param launchers folder holding the legacy launchers extracted from the jar
     */
    public static Start plan(Micro m, Path srcDir, boolean dev, Path launchers) {
        Engine e = m.engine();
        if (dev) {
            if (m.dev() != null) return shell(m, m.dev());
            return switch (e) {
                case STATIC -> folder(m, srcDir);
                case REACT -> npm(m, "npm run start -- --port $PORT");
                case VUE, SVELTE, NEXT, NUXT, SVELTE_KIT -> npm(m, "npm run dev -- --port $PORT");
                default -> new Unavailable("micro '" + m.name() + "' has no 'dev' command: add one to the Spacefile"
                        + " (for example dev: " + example(e) + "), or run without --dev");
            };
        }
        if (e.staticLike()) return folder(m, srcDir);
        if (m.run() != null) return shell(m, m.run());
        return switch (e) {
            case PYTHON39, PYTHON38 -> new Command(List.of("python3", launchers.resolve("python_launcher.py").toString()),
                    "python3: main.py exposing 'app' (Space's default)", pythonPorts(), List.of("python3"));
            case NODEJS16 -> new Command(List.of("node", launchers.resolve("node_launcher.js").toString()),
                    "node: index.js exporting the app (Space's default)", Map.of(), List.of("node"));
            case NEXT, NUXT, SVELTE_KIT -> framework(m, srcDir);
            default -> new Unavailable("a custom micro needs 'run:' in the Spacefile: micros cannot guess its command");
        };
    }

    /**
     * A full-stack framework without `run` starts as its build dictates: svelte-kit's adapter-node
     * output (`node build`, or the adapter's `out`), nuxt's `node .output/server/index.mjs`, else
     * (next: `next start`) the `start` script; both read PORT. Nothing of these: what was looked for.
     */
    private static Start framework(Micro m, Path dir) {
        String server = server(m, dir), entry = server == null ? null : entry(server);
        String maker = m.engine() == Engine.NUXT ? "nuxt build" : "adapter-node";
        if (entry != null && Files.isRegularFile(dir.resolve(entry)))
            return new Command(List.of("node", server), "node " + server + " (what " + maker + " made)", Map.of(), List.of("node"));
        // a folder with no package.json to look at gets its start script, as before
        if (startScript(dir.resolve("package.json")) || !Files.isRegularFile(dir.resolve("package.json"))) return npm(m, "npm run start -- --port $PORT");
        return new Unavailable("micro '" + m.name() + "': " + m.engine() + " without 'run': its build has "
                + (entry == null ? "no " : "neither " + entry + " (what " + maker + " makes) nor a ") + "'start' script in package.json: add one (for example \"start\": \""
                + (entry == null ? "next start" : "node " + server) + "\"), or set 'run' in the Spacefile");
    }

    /**
     * What an exported image runs: {@link #plan} in the image's folder {@code app}; a framework without
     * `run` is built in the image, after the export, so the same rule as {@link #framework} is decided
     * when the container starts (its server when the build made it, else its start script).
     * @param upload the micro's folder as uploaded (svelte-kit's svelte.config.js names its adapter's out)
     */
    public static Start forImage(Micro m, Path upload, Path app, Path launchers) {
        Start p = plan(m, app, false, launchers);
        String server = m.run() == null && m.engine().npmFramework() ? server(m, upload) : null;
        if (server == null || !server.matches("[A-Za-z0-9._/-]+")) return p; // next: its start script
        String line = "if [ -f " + entry(server) + " ]; then exec node " + server + "; else exec npm run start -- --port \"$PORT\"; fi";
        return new Command(List.of("/bin/sh", "-c", line), "node " + server + " when the build made it, else its start script", Map.of(), List.of("node"));
    }

    /** What a framework's build makes to run with node: svelte-kit's adapter-node out, nuxt's server; null for next. */
    private static String server(Micro m, Path dir) {
        return switch (m.engine()) {
            case SVELTE_KIT -> svelteKitOut(dir);
            case NUXT -> ".output/server/index.mjs";
            default -> null;
        };
    }

    /** The file that shows the build made the server: a folder's index.js, or the module itself. */
    private static String entry(String server) {
        return server.endsWith(".mjs") ? server : server + "/index.js";
    }

    /** adapter-node's output folder: its `out` option in svelte.config.js, else build. */
    static String svelteKitOut(Path dir) {
        try {
            String config = Files.readString(dir.resolve("svelte.config.js"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("adapter\\s*\\(\\s*\\{[^}]*?\\bout\\s*:\\s*['\"`]([^'\"`]+)['\"`]").matcher(config);
            if (m.find()) {
                String out = m.group(1).strip();
                while (out.startsWith("./")) out = out.substring(2);
                if (!out.isEmpty() && !out.startsWith("/") && !out.contains("..")) return out;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // no config (or an unreadable one): the adapter's default
        }
        return "build";
    }

    private static boolean startScript(Path pkg) {
        try {
            Object scripts = micros.util.Json.object(Files.readString(pkg)).get("scripts");
            return scripts instanceof Map<?, ?> s && s.get("start") instanceof String;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private static Start folder(Micro m, Path srcDir) {
        String rel = m.serveFolder() == null ? "." : m.serveFolder();
        return new Folder(srcDir.resolve(rel).normalize(), rel);
    }

    private static Command shell(Micro m, String line) {
        return new Command(List.of("/bin/sh", "-c", line), line, m.engine().python() ? pythonPorts() : Map.of(), List.of());
    }

    private static Command npm(Micro m, String line) {
        return new Command(List.of("/bin/sh", "-c", line), line, Map.of(), List.of("npm"));
    }

    /** uvicorn and flask read their own variables, not PORT (gunicorn reads PORT). */
    private static Map<String, String> pythonPorts() {
        return Map.of("UVICORN_PORT", "$PORT", "FLASK_RUN_PORT", "$PORT");
    }

    private static String example(Engine e) {
        return e.python() ? "uvicorn main:app --reload --port $PORT" : e == Engine.NODEJS16 ? "node --watch index.js" : "./run-dev.sh";
    }
}
