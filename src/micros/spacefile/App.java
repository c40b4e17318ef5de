package micros.spacefile;

import java.nio.file.Path;
import java.util.List;

/** A valid Spacefile: the app and its micros. Paths are relative to {@code root}. */
public record App(Path spacefile, Path root, String appName, String icon, boolean autoPwa, List<Micro> micros) {

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
