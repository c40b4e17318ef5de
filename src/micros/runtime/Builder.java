package micros.runtime;

import java.io.IOException;
import java.nio.file.Path;

import micros.sandbox.BuildSandbox;
import micros.spacefile.App;
import micros.spacefile.App.Micro;
import micros.util.UserError;

/**
 * --build: each micro's `commands`, in its src folder (after its install, see micros.build), output prefixed; the first failure
 * stops everything. Each command runs contained ({@link BuildSandbox}): what it leaves running is ended when it ends.
 */
public final class Builder {
    private Builder() {}

    /**
     * One micro's `commands`, in order; a failing one throws with its exit code.
     * @param pathFirst a folder put first on the commands' PATH (the micro's virtualenv), or null
     */
    public static void runMicro(App app, Micro m, Log log, Path pathFirst, BuildSandbox builds) {
        Path src = app.root().resolve(relative(m.src())).normalize();
        for (String command : m.commands()) {
            log.event(m.name() + ": build: " + command);
            int code;
            try {
                ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command).directory(src.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                pb.environment().keySet().removeAll(MicroEnvironment.SECRETS); // a build step needs no owner token
                if (pathFirst != null) pb.environment().merge("PATH", pathFirst.toString(), (old, first) -> first + java.io.File.pathSeparator + old);
                Thread out, err;
                try (BuildSandbox.Running step = builds.start(m.name(), pb)) {
                    Process p = step.process();
                    out = OutputPump.start(m.name(), p.getInputStream(), "stdout", (s, line) -> log.micro(m.name(), "build", line));
                    err = OutputPump.start(m.name(), p.getErrorStream(), "stderr", (s, line) -> log.micro(m.name(), "build", line));
                    code = p.waitFor();
                } // ends what the command left running first: a daemon holding its output would keep the pumps waiting
                out.join();
                err.join();
            } catch (IOException e) {
                if (builds.closed()) throw stopped(m);
                throw UserError.runtime("micro '" + m.name() + "': cannot run build command '" + command + "': " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw UserError.runtime("interrupted while building micro '" + m.name() + "'");
            }
            if (builds.closed()) throw stopped(m);
            if (code != 0)
                throw new UserError(code, "micro '" + m.name() + "': build command '" + command + "' failed with exit code " + code);
        }
    }

    private static UserError stopped(Micro m) {
        return UserError.runtime("micro '" + m.name() + "': its build was ended: micros is stopping");
    }

    public static String relative(String p) {
        String s = p.strip();
        while (s.startsWith("/")) s = s.substring(1);
        return s.isEmpty() ? "." : s;
    }
}
