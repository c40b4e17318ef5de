package micros.spacefile;

import java.io.IOException;
import java.nio.file.Path;

/** What a platform's upload left out of a micro's folder: Space's .spaceignore rules, or a Deta Cloud micro's .detaignore. */
public interface Ignore {

    /** Whether a path (relative to the micro's folder, '/'-separated) is left out. */
    boolean ignored(String relative, boolean isDirectory);

    /** The rules the app's platform applied to this micro's src folder. */
    static Ignore forMicro(App app, Path src) throws IOException {
        return app.classic() != null ? DetaIgnore.forSource(src, app.classic().python()) : SpaceIgnore.forSource(src);
    }

    /** The platform's own rules alone, for a micro whose ignore file cannot be read. */
    static Ignore defaultsFor(App app) {
        return app.classic() != null ? DetaIgnore.of("", app.classic().python()) : SpaceIgnore.defaults();
    }
}
