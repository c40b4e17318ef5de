package micros.classic;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The deta library Deta Cloud's runtime pre-installed (app, App, app.lib.cron, app.lib.run),
 * micros' own implementation for Python and Node, extracted from the jar into the run's folder
 * beside the legacy launchers, which put it after the micro's own packages.
 */
public final class DetaLibrary {
    private DetaLibrary() {}

    /** The folder, under the run's folder, the launchers look for. */
    public static final String FOLDER = "deta-library";
    private static final List<String> FILES = List.of("python/detalib/__init__.py", "python/detalib/app.py", "python/deta/__init__.py",
            "python/micros_deta.py", "node/deta.js", "node/hook.js");

    /** Writes the library's files (readable by every micro's user) once per run. */
    public static void extract(Path runDir) throws IOException {
        for (String file : FILES) {
            Path target = runDir.resolve(FOLDER).resolve(file);
            if (Files.exists(target)) continue;
            Files.createDirectories(target.getParent());
            try (InputStream in = DetaLibrary.class.getResourceAsStream("library/" + file)) {
                if (in == null) throw new IOException("the jar lacks the deta library's " + file);
                Files.copy(in, target);
            }
            Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** A Deta Cloud micro's environment: DETA_PATH and DETA_RUNTIME instead of Space's variables. */
    public static void environment(Map<String, String> env, ProgInfo info, String microName) {
        for (String space : List.of("DETA_SPACE_APP", "DETA_SPACE_APP_VERSION", "DETA_SPACE_APP_HOSTNAME", "DETA_SPACE_APP_MICRO_NAME",
                "DETA_SPACE_APP_MICRO_TYPE", "DETA_API_KEY"))
            env.remove(space);
        env.put("DETA_PATH", info.path().isEmpty() ? microName : info.path());
        env.put("DETA_RUNTIME", "true");
    }
}
