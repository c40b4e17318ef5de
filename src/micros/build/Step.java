package micros.build;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import micros.runtime.Log;
import micros.sandbox.BuildSandbox;

/**
 * One build step of one micro (pip install, npm ci, npm run build): its output goes to a log
 * file and stays quiet on success; on failure every line is shown, with the exit code and the
 * command to rerun by hand. A long step says every 10 s that it is still running. Its processes
 * run contained ({@link micros.sandbox.BuildSandbox}): when it ends, what it left running is ended.
 */
final class Step {
    private static final long ALIVE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** How a step ended; {@code failure} is null on success, else one sentence for the 503 and the log. */
    record Result(boolean ok, String failure) {}

    private Step() {}

    /**
     * Runs {@code argv} in {@code dir} with {@code env}; {@code what} names the step ("pip install -r requirements.txt").
     * @param logFile where the tool's output is kept (replaced each run)
     */
    static Result run(Context ctx, String micro, String what, List<String> argv, Path dir, Map<String, String> env, Path logFile) {
        Log log = ctx.log();
        long t0 = System.nanoTime();
        log.micro(micro, "build", what + " ...");
        int code;
        try {
            Files.createDirectories(logFile.getParent());
            ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(logFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().clear();
            pb.environment().putAll(env);
            try (BuildSandbox.Running step = ctx.builds().start(micro, pb)) {
                Process p = step.process();
                long next = t0 + ALIVE_EVERY_NANOS;
                while (!p.waitFor(Math.max(1, next - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    log.micro(micro, "build", what + ": still running (" + seconds(System.nanoTime() - t0) + ")");
                    next += ALIVE_EVERY_NANOS;
                }
                code = p.exitValue();
            } // ends what the step left running (a daemon an install script started), success or not
        } catch (IOException e) {
            if (ctx.builds().closed()) return stopped(log, micro, what);
            String why = what + " could not start: " + e.getMessage();
            log.micro(micro, "build", why);
            return new Result(false, why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, what + " was interrupted");
        }
        if (ctx.builds().closed()) return stopped(log, micro, what);
        String took = seconds(System.nanoTime() - t0);
        if (code == 0) {
            log.micro(micro, "build", what + ": done in " + took);
            return new Result(true, null);
        }
        log.micro(micro, "build", what + ": failed with exit code " + code + " after " + took + "; its output:");
        try {
            for (String line : Files.readAllLines(logFile, StandardCharsets.UTF_8)) log.micro(micro, "build", "  " + line);
        } catch (IOException e) {
            log.micro(micro, "build", "  (its output is in " + logFile + ")");
        }
        String rerun = "cd " + quote(dir.toString()) + " && " + String.join(" ", argv.stream().map(Step::quote).toList());
        log.micro(micro, "build", "to rerun it by hand: " + rerun);
        return new Result(false, what + " failed with exit code " + code + " (output in " + logFile + "; rerun: " + rerun + ")");
    }

    /** micros is stopping: it ended the step, whose failure is not the tool's. */
    private static Result stopped(Log log, String micro, String what) {
        log.micro(micro, "build", what + ": ended, micros is stopping");
        return new Result(false, what + " was ended: micros is stopping");
    }

    static String seconds(long nanos) {
        long tenths = TimeUnit.NANOSECONDS.toMillis(nanos) / 100;
        return tenths / 10 + "." + tenths % 10 + " s";
    }

    static String quote(String s) {
        return s.matches("[A-Za-z0-9_./:=@+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
