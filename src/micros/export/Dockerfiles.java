package micros.export;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import micros.runtime.Engines;
import micros.spacefile.App.Micro;
import micros.spacefile.Engine;

/**
 * The Dockerfiles of an export: a process micro's image installs its dependencies as micros'
 * build step does (a virtualenv for requirements.txt; npm ci with a lockfile, else npm install),
 * runs its Spacefile {@code commands}, and starts it as micros would.
 */
final class Dockerfiles {
    /** The base images, in one place: the runtimes Space ran, and the JRE that runs the gateway. */
    static final String PYTHON39 = "python:3.9-slim", PYTHON38 = "python:3.8-slim", NODE16 = "node:16-slim",
            CUSTOM = "debian:12-slim", GATEWAY = "eclipse-temurin:17-jre";
    static final String USER = "65534:65534"; // nobody: Space's micros never ran as root
    static final String LAUNCHERS = "/opt/micros";

    private Dockerfiles() {}

    static String image(Engine e) {
        return switch (e) {
            case PYTHON39 -> PYTHON39;
            case PYTHON38 -> PYTHON38;
            case CUSTOM -> CUSTOM;
            default -> NODE16; // nodejs16 and the npm frameworks
        };
    }

    /** The legacy launcher a micro needs from the jar, or null when it has its own command. */
    static String launcher(Micro m) {
        if (m.run() != null) return null;
        return switch (m.engine()) {
            case PYTHON39, PYTHON38 -> "python_launcher.py";
            case NODEJS16 -> "node_launcher.js";
            default -> null;
        };
    }

    /** A process micro's Dockerfile; its build context holds {@code app/} (the packaged files) and the launcher. */
    static String micro(String appName, Micro m, List<String> files) {
        StringBuilder d = new StringBuilder();
        d.append("# micro \"").append(m.name()).append("\" of ").append(appName).append(" (").append(m.engine())
                .append("), written by micros export knative: what Space packaged, started as micros starts it\n");
        d.append("FROM ").append(image(m.engine())).append('\n');
        d.append("WORKDIR /app\n");
        d.append("COPY app/ ./\n");
        install(d, m.engine(), files);
        for (String c : m.commands()) d.append("RUN ").append(c).append('\n');
        String launcher = launcher(m);
        if (launcher != null) d.append("COPY ").append(launcher).append(' ').append(LAUNCHERS).append('/').append(launcher).append('\n');
        d.append("ENV HOME=/tmp TMPDIR=/tmp TZ=UTC\n");
        d.append("USER ").append(USER).append('\n');
        d.append("CMD ").append(json(command(m))).append('\n');
        return d.toString();
    }

    /** Dependencies, as micros' build step installs them. */
    private static void install(StringBuilder d, Engine e, List<String> files) {
        if (e.python() || e == Engine.CUSTOM && files.contains("requirements.txt")) {
            if (files.contains("requirements.txt")) {
                d.append("RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt\n");
                d.append("ENV PATH=\"/opt/venv/bin:$PATH\" VIRTUAL_ENV=/opt/venv\n");
            }
        } else if (files.contains("package.json")) {
            d.append(files.contains("package-lock.json") ? "RUN npm ci\n" : "RUN npm install\n");
        }
    }

    /** What micros runs (Engines.plan), in the image's paths; $PORT comes from Knative. */
    static List<String> command(Micro m) {
        Engines.Start plan = Engines.plan(m, Path.of("/app"), false, Path.of(LAUNCHERS));
        if (!(plan instanceof Engines.Command c)) throw new IllegalArgumentException(m.name() + " is not a process micro");
        Map<String, String> env = new TreeMap<>(c.env()); // sorted: the same bytes every time
        if (env.isEmpty()) return c.argv();
        StringBuilder line = new StringBuilder("export");
        env.forEach((k, v) -> line.append(' ').append(k).append("=\"").append(v.equals("$PORT") ? "$PORT" : v).append('"'));
        line.append("; ");
        List<String> argv = c.argv();
        if (argv.size() == 3 && argv.get(0).equals("/bin/sh") && argv.get(1).equals("-c")) line.append(argv.get(2));
        else line.append("exec ").append(String.join(" ", argv));
        return List.of("/bin/sh", "-c", line.toString());
    }

    /** One static-like micro in the gateway's image: copied as it is, or built in a stage of its own. */
    record Static(Micro micro, String folder, boolean build, boolean lockfile) {}

    /** The gateway's Dockerfile: micros.jar, the Spacefile, and the static micros' files. */
    static String gateway(String appName, List<Static> statics) {
        StringBuilder d = new StringBuilder();
        d.append("# the front door of ").append(appName).append(", written by micros export knative: micros gateway with the static micros' files\n");
        List<String> copies = new ArrayList<>();
        for (Static s : statics) {
            if (!s.build()) continue;
            String stage = "build-" + Names.dns(s.micro().name());
            d.append("FROM ").append(NODE16).append(" AS ").append(stage).append('\n');
            d.append("WORKDIR /src\n");
            d.append("COPY build/").append(s.micro().name()).append("/ ./\n");
            d.append(s.lockfile() ? "RUN npm ci\n" : "RUN npm install\n");
            if (s.micro().commands().isEmpty()) d.append("RUN npm run build\n"); // micros' build step: the serve folder is missing
            for (String c : s.micro().commands()) d.append("RUN ").append(c).append('\n');
            copies.add("COPY --from=" + stage + " /src/" + s.micro().serveFolder() + "/ /app/" + s.folder() + "/\n");
        }
        d.append("FROM ").append(GATEWAY).append('\n');
        d.append("COPY micros.jar /opt/micros/micros.jar\n");
        d.append("COPY app/ /app/\n");
        copies.forEach(d::append);
        d.append("RUN mkdir -p /app/.micros && chown ").append(USER).append(" /app/.micros\n");
        d.append("WORKDIR /app\n");
        d.append("USER ").append(USER).append('\n');
        d.append("EXPOSE 8080\n");
        d.append("ENTRYPOINT [\"java\", \"-jar\", \"/opt/micros/micros.jar\", \"gateway\", \"/app\"]\n");
        return d.toString();
    }

    private static String json(List<String> argv) {
        List<String> q = new ArrayList<>();
        for (String a : argv) q.add(Yaml.quote(a));
        return "[" + String.join(", ", q) + "]";
    }
}
