package micros.runtime;

import java.io.IOException;
import java.nio.file.Path;

import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.util.UserError;

/** --build: each micro's `commands`, in its src folder, output prefixed; the first failure stops everything. */
public final class Builder {
    private Builder() {}

    public static void run(App app, Log log) {
        for (Micro m : app.micros()) {
            Path src = app.root().resolve(relative(m.src())).normalize();
            for (String command : m.commands()) {
                log.event(m.name() + ": build: " + command);
                int code;
                try {
                    ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).directory(src.toFile())
                            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                    pb.environment().keySet().removeAll(MicroEnvironment.SECRETS); // a build step needs no owner token
                    Process p = pb.start();
                    Thread out = OutputPump.start(m.name(), p.getInputStream(), "stdout", (s, line) -> log.micro(m.name(), "build", line));
                    Thread err = OutputPump.start(m.name(), p.getErrorStream(), "stderr", (s, line) -> log.micro(m.name(), "build", line));
                    code = p.waitFor();
                    out.join();
                    err.join();
                } catch (IOException e) {
                    throw UserError.runtime("micro '" + m.name() + "': cannot run build command '" + command + "': " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw UserError.runtime("interrupted while building micro '" + m.name() + "'");
                }
                if (code != 0)
                    throw new UserError(code, "micro '" + m.name() + "': build command '" + command + "' failed with exit code " + code);
            }
        }
    }

    static String relative(String p) {
        String s = p.strip();
        while (s.startsWith("/")) s = s.substring(1);
        return s.isEmpty() ? "." : s;
    }
}
