package micros.spacefile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import micros.util.Json;

/**
 * Guesses how a folder would run on Space, as Space's CLI did for a project without a
 * Spacefile: package.json, Python files, go.mod, Cargo.toml, or plain HTML. A folder may
 * fit several engines (a stray package.json beside a Flask main.py): all are returned.
 */
public final class Detector {
    /** Folders never proposed as micros: dependencies, virtual environments, build output, and a frontend's assets. */
    public static final List<String> SKIPPED = List.of("node_modules", "venv", "virtualenv", "__pycache__", "build", "dist", "target", "public", "static");
    private static final Set<String> SKIP = Set.copyOf(SKIPPED);
    /** A module-level "NAME = FastAPI(...)" (or Flask, Starlette, Quart), optionally with a type or a module prefix. */
    private static final Pattern APP_OBJECT = Pattern.compile("(?m)^([A-Za-z_][A-Za-z0-9_]*)\\s*(?::[^=\\n]+)?=\\s*(?:[A-Za-z_][A-Za-z0-9_]*\\.)?(FastAPI|Starlette|Quart|Flask)\\s*\\(");
    /** A module-level application factory, as Flask's docs name it: "def create_app(...)" (or make_app), its parameters. */
    private static final Pattern FACTORY = Pattern.compile("(?m)^def\\s+(create_app|make_app)\\s*\\(([^)]*)\\)");

    private Detector() {}

    /** One way a folder could run. */
    public record Candidate(Engine engine, String why, String run, List<String> commands, List<String> include, String serve) {
        public boolean frontend() {
            return engine.staticLike() || engine.npmFramework();
        }
    }

    /** The folders to look at: the folder itself and each direct sub-folder that is not hidden or a build product. */
    public static List<Path> folders(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        out.add(root);
        try (Stream<Path> s = Files.list(root)) {
            s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".") && !SKIP.contains(p.getFileName().toString()))
                    .sorted().forEach(out::add);
        }
        return out;
    }

    public static List<Candidate> detect(Path dir) {
        List<Candidate> out = new ArrayList<>();
        Path pkg = dir.resolve("package.json");
        if (Files.isRegularFile(pkg)) out.add(node(dir, pkg));
        Candidate py = python(dir);
        if (py != null) out.add(py);
        if (Files.isRegularFile(dir.resolve("go.mod")))
            out.add(new Candidate(Engine.CUSTOM, "go.mod", "./app", List.of("go build -o app ."), List.of("app"), null));
        if (Files.isRegularFile(dir.resolve("Cargo.toml"))) {
            String name = cargoName(dir.resolve("Cargo.toml"));
            out.add(new Candidate(Engine.CUSTOM, "Cargo.toml", "./target/release/" + name, List.of("cargo build --release"), List.of("target/release/" + name), null));
        }
        if (out.isEmpty() && Files.isRegularFile(dir.resolve("index.html")))
            out.add(new Candidate(Engine.STATIC, "index.html", null, List.of(), List.of(), "."));
        return out;
    }

    private static Candidate node(Path dir, Path pkg) {
        Set<String> deps = new java.util.HashSet<>();
        boolean startScript = false;
        try {
            Map<String, Object> json = Json.object(Files.readString(pkg));
            for (String k : List.of("dependencies", "devDependencies"))
                if (json.get(k) instanceof Map<?, ?> m) m.keySet().forEach(d -> deps.add(String.valueOf(d)));
            startScript = json.get("scripts") instanceof Map<?, ?> scripts && scripts.containsKey("start");
        } catch (IOException | IllegalArgumentException | ClassCastException e) {
            // an unreadable package.json still says "a Node project"
        }
        List<String> build = List.of("npm run build");
        if (deps.contains("@sveltejs/kit")) return new Candidate(Engine.SVELTE_KIT, "package.json with @sveltejs/kit", null, build, List.of(), null);
        if (deps.contains("next")) return new Candidate(Engine.NEXT, "package.json with next", null, build, List.of(), null);
        if (deps.contains("nuxt") || deps.contains("nuxt3")) return new Candidate(Engine.NUXT, "package.json with nuxt", null, build, List.of(), null);
        if (deps.contains("react-scripts")) return new Candidate(Engine.REACT, "package.json with react-scripts", null, build, List.of(), null);
        if (deps.contains("@vue/cli-service")) return new Candidate(Engine.VUE, "package.json with @vue/cli-service", null, build, List.of(), null);
        if (deps.contains("svelte") || deps.contains("@sveltejs/vite-plugin-svelte"))
            return new Candidate(Engine.SVELTE, "package.json with svelte", null, build, List.of(), null);
        String run = !Files.exists(dir.resolve("index.js")) && startScript ? "npm start" : null;
        return new Candidate(Engine.NODEJS16, "package.json", run, List.of(), List.of(), null);
    }

    private static Candidate python(Path dir) {
        List<String> markers = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (String f : List.of("requirements.txt", "Pipfile", "setup.py", "main.py")) {
            Path p = dir.resolve(f);
            if (!Files.isRegularFile(p)) continue;
            markers.add(f);
            try {
                text.append(Files.readString(p).toLowerCase(Locale.ROOT)).append('\n');
            } catch (IOException ignored) {
                // the marker alone is enough
            }
        }
        if (markers.isEmpty()) return null;
        String t = text.toString(), framework = null, server = null;
        List<String> classes = List.of();
        if (t.contains("fastapi") || t.contains("uvicorn")) {
            server = "uvicorn";
            framework = t.contains("fastapi") ? "FastAPI" : "uvicorn";
            classes = List.of("FastAPI", "Starlette", "Quart");
        } else if (t.contains("gunicorn")) {
            server = "gunicorn";
            framework = "gunicorn";
            classes = List.of("Flask");
        } else if (t.contains("flask")) {
            server = "flask";
            framework = "Flask";
            classes = List.of("Flask");
        }
        String why = String.join(", ", markers) + (framework == null ? "" : " with " + framework);
        if (server == null) return new Candidate(Engine.PYTHON39, why, null, List.of(), List.of(), null);
        String[] app = appObject(dir, classes); // the run names a module and a variable that exist, or there is no run
        if (app == null) {
            String[] factory = factory(dir, classes);
            if (factory != null && factory[2] != null)
                return new Candidate(Engine.PYTHON39, why + "; no 'run': " + factory[1] + "() in " + factory[0] + ".py needs arguments (" + factory[2]
                        + "), so add run: yourself, giving them", null, List.of(), List.of(), null);
            if (factory != null) {
                String target = factory[0] + ":" + factory[1];
                String run = switch (server) {
                    case "flask" -> "flask --app " + target + " run";
                    case "gunicorn" -> "gunicorn '" + target + "()'";
                    default -> "uvicorn " + target + " --factory";
                };
                return new Candidate(Engine.PYTHON39, why + " (an app factory, " + factory[1] + "() in " + factory[0] + ".py)", run, List.of(), List.of(), null);
            }
            return new Candidate(Engine.PYTHON39, why + "; no 'run': no .py file here creates the " + String.join(" or ", classes)
                    + " app at module level or in a create_app() factory, so add run: yourself (such as " + server + " module:variable)", null, List.of(), List.of(), null);
        }
        String run = switch (server) {
            case "flask" -> "flask --app " + (app[1].equals("app") ? app[0] : app[0] + ":" + app[1]) + " run";
            default -> server + " " + app[0] + ":" + app[1];
        };
        return new Candidate(Engine.PYTHON39, why, run, List.of(), List.of(), null);
    }

    /** The folder's .py files: main.py, app.py, then the others by name. */
    private static List<Path> pythonFiles(Path dir) {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.filter(p -> p.getFileName().toString().endsWith(".py") && Files.isRegularFile(p)).forEach(files::add);
        } catch (IOException e) {
            return List.of();
        }
        files.sort(java.util.Comparator.comparing((Path p) -> switch (p.getFileName().toString()) {
            case "main.py" -> 0;
            case "app.py" -> 1;
            default -> 2;
        }).thenComparing(p -> p.getFileName().toString()));
        return files;
    }

    /** {module, variable} of the first module-level app object of those classes: main.py, app.py, then the other .py files by name. */
    private static String[] appObject(Path dir, List<String> classes) {
        for (Path f : pythonFiles(dir)) {
            String module = f.getFileName().toString().replaceAll("\\.py$", "");
            if (!module.matches("[A-Za-z_][A-Za-z0-9_]*")) continue;
            try {
                Matcher m = APP_OBJECT.matcher(Files.readString(f));
                while (m.find()) if (classes.contains(m.group(2))) return new String[] {module, m.group(1)};
            } catch (IOException | java.io.UncheckedIOException e) {
                // unreadable: not this one
            }
        }
        return null;
    }

    /**
     * {module, function, required parameters or null} of the first module-level create_app() or
     * make_app() in a file that uses one of the classes; the same files in the same order as
     * {@link #appObject}. A factory with parameters without defaults cannot be called by the
     * server with none: the third element names them.
     */
    private static String[] factory(Path dir, List<String> classes) {
        for (Path f : pythonFiles(dir)) {
            String module = f.getFileName().toString().replaceAll("\\.py$", "");
            if (!module.matches("[A-Za-z_][A-Za-z0-9_]*")) continue;
            try {
                String text = Files.readString(f);
                if (classes.stream().noneMatch(c -> text.contains(c + "("))) continue;
                Matcher m = FACTORY.matcher(text);
                if (!m.find()) continue;
                List<String> required = new ArrayList<>();
                for (String p : m.group(2).split(",")) {
                    String param = p.strip();
                    if (param.isEmpty() || param.contains("=") || param.startsWith("*") || param.equals("/")) continue;
                    required.add(param.replaceAll(":.*", "").strip());
                }
                return new String[] {module, m.group(1), required.isEmpty() ? null : String.join(", ", required)};
            } catch (IOException | java.io.UncheckedIOException e) {
                // unreadable: not this one
            }
        }
        return null;
    }

    private static String cargoName(Path cargo) {
        try {
            Matcher m = Pattern.compile("(?m)^\\s*name\\s*=\\s*\"([^\"]+)\"").matcher(Files.readString(cargo));
            if (m.find()) return m.group(1);
        } catch (IOException ignored) {
            // below
        }
        return cargo.getParent().getFileName().toString();
    }

    /** A micro name from a folder name: Space's pattern, letters, digits, '-' and '_'. */
    public static String name(Path folder) {
        Path n = folder.toAbsolutePath().normalize().getFileName();
        String s = (n == null ? "app" : n.toString()).replaceAll("[^A-Za-z0-9_-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
        return s.isEmpty() ? "app" : s;
    }
}
