package micros.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's pid, read from /proc/self: ProcessHandle's machinery costs milliseconds at start-up. */
public final class Pids {
    private static final long SELF = read();

    private Pids() {}

    public static long self() {
        return SELF;
    }

    private static long read() {
        try {
            return Long.parseLong(Files.readSymbolicLink(Path.of("/proc/self")).toString());
        } catch (IOException | RuntimeException e) {
            return ProcessHandle.current().pid();
        }
    }
}
