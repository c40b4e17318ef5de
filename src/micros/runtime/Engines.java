package micros.runtime;

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
     * @param srcDir    the micro's src folder
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
            case NEXT, NUXT, SVELTE_KIT -> npm(m, "npm run start -- --port $PORT");
            default -> new Unavailable("a custom micro needs 'run:' in the Spacefile: micros cannot guess its command");
        };
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
