package micros.util;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** Programs on PATH, and micros' own version: what the command line, the runtime and the sandbox all need. */
public final class Programs {
    /** micros' version, as `--version` and the start banner print it. */
    public static final String VERSION = "0.1.0";
    /** How micros is run, as hints and help name it: there is no `micros` command on PATH. */
    public static final String INVOCATION = "java -jar micros.jar";

    private Programs() {}

    /** The executable {@code name} found on PATH, or null. */
    public static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) return null;
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return p;
        }
        return null;
    }
}
