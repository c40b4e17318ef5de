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
 * The Dockerfiles of an export, built as Space's builder built: the dependency files first and
 * their install (a virtualenv for requirements.txt; npm ci with a lockfile, else npm install),
 * then the rest of what was uploaded, the Spacefile's {@code commands} and the engine's own
 * build, in a stage with the toolchain they need; then what {@code include} selects, on the
 * runtime's image, started behind micros' guard as micros would start it. Private package
 * sources come in as build secrets, never in a layer or the image's history.
 */
final class Dockerfiles {
    static final String USER = "65534:65534"; // nobody: Space's micros never ran as root
    static final String LAUNCHERS = "/opt/micros", GUARD = "guard.pl";
    static final List<String> PIP_SECRETS = List.of("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS");
    static final List<String> NPM_SECRETS = List.of("NPM_CONFIG_REGISTRY");
    /** An .npmrc with the registry's token, mounted where npm reads the user's configuration. */
    static final String NPMRC_SECRET = "npmrc";

    private Dockerfiles() {}

    /** A micro's Dockerfile and what the export could not vouch for in it (said in the file, the README and a warning). */
    record Image(String dockerfile, List<String> notes) {}

    /** The legacy launcher a micro needs from the jar, or null when it has its own command. */
    static String launcher(Micro m) {
        if (m.run() != null) return null;
        return switch (m.engine()) {
            case PYTHON39, PYTHON38 -> "python_launcher.py";
            case NODEJS16 -> "node_launcher.js";
            default -> null;
        };
    }

    /**
     * A process micro's Dockerfile. Its build context holds {@code app/} (what `space push`
     * uploaded: the folder after .spaceignore, before any build), the guard and the launcher.
     * @param src    the micro's folder (its dependency files are read to copy them first)
     * @param upload the files under {@code app/}
     */
    static Image micro(String appName, Micro m, Path src, List<String> upload, BaseImages images) {
        Engine e = m.engine();
        List<String> notes = new ArrayList<>();
        String runImage = images.runtime(e), buildImage = runImage;
        Toolchains.Kind runKind = e.python() ? Toolchains.Kind.PYTHON : e == Engine.CUSTOM ? Toolchains.Kind.BASE : Toolchains.Kind.NODE;
        Toolchains.Kind buildKind = runKind;
        List<String> runLine = m.run() == null ? List.of() : List.of(m.run());
        if (e == Engine.CUSTOM) { // no runtime of its own: its programs say which image it needs
            buildKind = first(Toolchains.needs(m.commands()));
            buildImage = images.of(buildKind);
            runKind = first(Toolchains.needs(runLine));
            if (runKind == Toolchains.Kind.GO) runKind = Toolchains.Kind.BASE; // `go run` needs the toolchain: noted below
            runImage = images.of(runKind);
        }
        note(notes, m, "commands run", Toolchains.missing(m.commands(), buildKind), buildImage);
        note(notes, m, "run command runs", Toolchains.missing(runLine, runKind), runImage);

        boolean python = e.python(), node = e == Engine.NODEJS16 || e.npmFramework();
        List<String> deps = python ? DependencyFiles.python(src, upload) : node ? DependencyFiles.node(src, upload) : List.of();
        String output = e.buildOutput(); // as micros' build step: npm run build unless the commands made it
        boolean build = !m.commands().isEmpty() || output != null || !m.include().isEmpty();

        StringBuilder d = new StringBuilder("# syntax=docker/dockerfile:1\n");
        d.append("# micro \"").append(m.name()).append("\" of ").append(appName).append(" (").append(e)
                .append("), written by micros export knative: built as Space built it, started as micros starts it, behind micros' guard\n");
        for (String n : notes) d.append("# note: ").append(n).append('\n');
        if (build) d.append("\n# Space's builder: the dependencies, then the sources, the Spacefile's commands and the engine's build\n");
        d.append("FROM ").append(build ? buildImage + " AS build" : runImage).append('\n');
        d.append("WORKDIR ").append(build ? "/src" : "/app").append('\n');
        if (!deps.isEmpty()) {
            d.append("# the dependencies first: a change to the code does not install them again\n");
            for (String f : deps) d.append("COPY ").append(json(List.of("app/" + f, f))).append('\n');
            if (python) pipInstall(d);
            else npmInstall(d, DependencyFiles.locked(upload));
        }
        d.append("COPY app/ ./\n");
        for (String c : m.commands()) d.append("RUN ").append(c).append('\n');
        if (output != null) d.append("RUN [ -e ").append(output).append(" ] || npm run build\n"); // as micros' build step: only when commands did not make it
        if (build) {
            d.append("\n# what Space packaged: ").append(m.include().isEmpty() ? "the built folder" : "what `include` names, and the installed dependencies").append('\n');
            d.append("FROM ").append(runImage).append('\n');
            if (python && !deps.isEmpty()) d.append("COPY --from=build /opt/venv /opt/venv\nENV PATH=\"/opt/venv/bin:$PATH\" VIRTUAL_ENV=/opt/venv\n");
            if (m.include().isEmpty()) d.append("COPY --from=build /src/ /app/\n");
            else {
                List<String> include = includes(m.include());
                for (String i : include) d.append("COPY --from=build ").append(json(List.of("/src/" + i, "/app/" + i))).append('\n');
                if (node && !deps.isEmpty() && !include.contains("node_modules")) d.append("COPY --from=build /src/node_modules /app/node_modules\n");
            }
            d.append("WORKDIR /app\n");
        }
        String launcher = launcher(m);
        List<String> tools = new ArrayList<>(List.of(GUARD));
        if (launcher != null) tools.add(launcher);
        tools.add(LAUNCHERS + "/");
        d.append("COPY ").append(json(tools)).append('\n');
        d.append("RUN command -v perl >/dev/null || { echo \"micros' guard runs on perl-base: choose a Debian-based image\" >&2; exit 1; }\n");
        d.append("ENV HOME=/tmp TMPDIR=/tmp TZ=UTC\n");
        d.append("USER ").append(USER).append('\n');
        List<String> cmd = new ArrayList<>(List.of("perl", LAUNCHERS + "/" + GUARD));
        cmd.addAll(command(m, src));
        d.append("CMD ").append(json(cmd)).append('\n');
        return new Image(d.toString(), notes);
    }

    private static Toolchains.Kind first(java.util.Set<Toolchains.Kind> kinds) {
        for (Toolchains.Kind k : List.of(Toolchains.Kind.GO, Toolchains.Kind.NODE, Toolchains.Kind.PYTHON)) if (kinds.contains(k)) return k;
        return Toolchains.Kind.BASE;
    }

    private static void note(List<String> notes, Micro m, String what, List<String> missing, String image) {
        if (missing.isEmpty()) return;
        notes.add("micro " + m.name() + ": its " + what + " " + String.join(", ", missing) + ", which " + image
                + " may not have: choose an image that has " + (missing.size() == 1 ? "it" : "them") + " with --base-image, or edit this FROM");
    }

    /** include's entries as paths in the built folder. */
    private static List<String> includes(List<String> include) {
        List<String> out = new ArrayList<>();
        for (String i : include) {
            String p = i.strip();
            while (p.startsWith("./")) p = p.substring(2);
            while (p.endsWith("/")) p = p.substring(0, p.length() - 1);
            if (!p.isEmpty() && !out.contains(p)) out.add(p);
        }
        return out;
    }

    /** pip into a virtualenv, with private sources from build secrets (never a layer, an ARG or the image's history). */
    private static void pipInstall(StringBuilder d) {
        d.append("RUN ").append(secrets(PIP_SECRETS)).append("--mount=type=cache,target=/root/.cache/pip \\\n    ")
                .append(exports(PIP_SECRETS)).append("python3 -m venv /opt/venv && /opt/venv/bin/pip install -r requirements.txt\n");
        d.append("ENV PATH=\"/opt/venv/bin:$PATH\" VIRTUAL_ENV=/opt/venv\n");
    }

    /** npm ci (a lockfile) or npm install, with the registry and its token from build secrets; npm's cache stays out of the image. */
    private static void npmInstall(StringBuilder d, boolean locked) {
        d.append("RUN ").append(secrets(NPM_SECRETS)).append("--mount=type=secret,id=").append(NPMRC_SECRET).append(",target=/root/.npmrc")
                .append(" --mount=type=cache,target=/root/.npm \\\n    ").append(exports(NPM_SECRETS))
                .append(locked ? "npm ci" : "npm install").append(" --no-audit --no-fund\n");
    }

    private static String secrets(List<String> ids) {
        StringBuilder s = new StringBuilder();
        for (String id : ids) s.append("--mount=type=secret,id=").append(id).append(' ');
        return s.toString();
    }

    private static String exports(List<String> ids) {
        return "for s in " + String.join(" ", ids) + "; do if [ -s /run/secrets/$s ]; then export \"$s=$(cat /run/secrets/$s)\"; fi; done; \\\n    ";
    }

    /** What micros runs (Engines.forImage), in the image's paths; $PORT is the guard's inner port. @param src the micro's folder */
    static List<String> command(Micro m, Path src) {
        Engines.Start plan = Engines.forImage(m, src, Path.of("/app"), Path.of(LAUNCHERS));
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
    record Static(Micro micro, String folder, boolean build, List<String> deps, boolean lockfile) {}

    /** The gateway's Dockerfile: micros.jar, the Spacefile, and the static micros' files. */
    static String gateway(String appName, List<Static> statics, BaseImages images) {
        StringBuilder d = new StringBuilder("# syntax=docker/dockerfile:1\n");
        d.append("# the front door of ").append(appName).append(", written by micros export knative: micros gateway with the static micros' files\n");
        List<String> copies = new ArrayList<>();
        for (Static s : statics) {
            if (!s.build()) continue;
            String stage = "build-" + Names.dns(s.micro().name());
            String output = s.micro().serveFolder();
            d.append("\n# ").append(s.micro().name()).append(": built as Space built it (its dependencies, its commands, then npm run build when '")
                    .append(output).append("' is still missing)\n");
            d.append("FROM ").append(images.get(BaseImages.NODE)).append(" AS ").append(stage).append('\n');
            d.append("WORKDIR /src\n");
            String context = "build/" + s.micro().name() + "/";
            if (!s.deps().isEmpty()) {
                for (String f : s.deps()) d.append("COPY ").append(json(List.of(context + f, f))).append('\n');
                npmInstall(d, s.lockfile());
            }
            d.append("COPY ").append(json(List.of(context, "./"))).append('\n');
            for (String c : s.micro().commands()) d.append("RUN ").append(c).append('\n');
            d.append("RUN [ -e ").append(output).append(" ] || npm run build\n");
            copies.add("COPY --from=" + stage + " " + json(List.of("/src/" + output + "/", "/app/" + s.folder() + "/")) + "\n");
        }
        d.append("\nFROM ").append(images.get(BaseImages.GATEWAY)).append('\n');
        d.append("COPY micros.jar /opt/micros/micros.jar\n");
        d.append("COPY app/ /app/\n");
        copies.forEach(d::append);
        d.append("RUN mkdir -p /app/.micros && chown ").append(USER).append(" /app/.micros\n");
        d.append("WORKDIR /app\n");
        d.append("USER ").append(USER).append('\n');
        d.append("EXPOSE 8080 ").append(Manifests.DATA_PORT).append('\n');
        d.append("ENTRYPOINT [\"java\", \"-jar\", \"/opt/micros/micros.jar\", \"gateway\", \"/app\"]\n");
        return d.toString();
    }

    /** The exec (JSON) form: paths and arguments with spaces or quotes stay whole. */
    static String json(List<String> argv) {
        List<String> q = new ArrayList<>();
        for (String a : argv) q.add(Yaml.quote(a));
        return "[" + String.join(", ", q) + "]";
    }
}
