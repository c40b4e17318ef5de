package micros.spacefile;

import java.nio.file.Path;
import java.util.List;

/**
 * A valid Spacefile: the app and its micros. Paths are relative to {@code root}. A Deta Cloud
 * micro (a folder with .deta/prog_info, no Spacefile) is an app of one micro read from its
 * prog_info: {@code spacefile} is that file and {@code classic} what it said (null for a Spacefile).
 */
public record App(Path spacefile, Path root, String appName, String icon, boolean autoPwa, List<Micro> micros, micros.classic.ProgInfo classic) {

    public App(Path spacefile, Path root, String appName, String icon, boolean autoPwa, List<Micro> micros) {
        this(spacefile, root, appName, icon, autoPwa, micros, null);
    }

    /** Whose rules the app runs by, for messages: "Space", or "Deta Cloud" for a classic micro. */
    public String platform() {
        return classic == null ? "Space" : "Deta Cloud";
    }

    /** What the platform ran the micro on: "Space ran Python 3.9", "Deta ran python3.7". */
    public String ran(Micro m) {
        if (classic != null) return "Deta ran " + classic.runtime();
        return "Space ran " + (m.engine() == Engine.PYTHON38 ? "Python 3.8" : m.engine().python() ? "Python 3.9" : "Node.js 16");
    }

    public Micro primary() {
        for (Micro m : micros) if (m.primary()) return m;
        throw new IllegalStateException("a valid app has a primary micro");
    }

    public Micro micro(String name) {
        for (Micro m : micros) if (m.name().equals(name)) return m;
        return null;
    }

    /** Name shown in logs and the dashboard: app_name, else the folder's name. */
    public String displayName() {
        if (appName != null) return appName;
        Path f = root.toAbsolutePath().normalize().getFileName();
        return f == null ? "app" : f.toString();
    }

    public record Micro(String name, String src, Engine engine, boolean primary, String path, String serve,
                        List<String> commands, List<String> include, String run, String dev, List<EnvVar> env,
                        boolean apiKeys, List<String> publicRoutes, boolean isPublic, boolean provideActions,
                        List<Action> actions) {

        /** The URL prefix this micro is served under: "" for the primary, "/api" for path "api". */
        public String prefix() {
            return primary ? "" : "/" + path;
        }

        /** Folder served by a static-like engine, relative to src. */
        public String serveFolder() {
            return serve != null ? serve : engine.defaultServe();
        }
    }

    public record EnvVar(String name, String description, String defaultValue) {}

    public record Action(String id, String name, String description, String interval, Schedule schedule, String path) {}
}
