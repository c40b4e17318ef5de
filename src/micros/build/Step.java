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
 * One build step of one micro (pip install, npm ci, npm run build, a `commands` line): its output
 * goes to a log file and stays quiet on success; on failure its last lines are shown, with the
 * exit code, the log's path and the command to rerun by hand. A `commands` line's output is shown
 * as it comes instead, as Space's builder streamed it. A long step says every 10 s that it is
 * still running. Its processes run contained ({@link micros.sandbox.BuildSandbox}): when it ends,
 * what it left running is ended.
 */
final class Step {
    private static final long ALIVE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final int LAST_LINES = 30;

    /** How a step ended: {@code what} ran, and {@code how} it failed ("failed with exit code 3 (output in ...)"), null on success. */
    record Result(boolean ok, String what, String how) {
        /** One sentence for the 503 and the log ("npm run build failed with exit code 3 (...)"); null on success. */
        String failure() {
            return ok ? null : what + " " + how;
        }
    }

    private Step() {}

    /**
     * Runs {@code argv} in {@code dir} with {@code env}; {@code what} names the step ("pip install -r requirements.txt").
     * @param logFile  where the tool's output is kept (replaced each run)
     * @param confined as whom and seeing what it runs (the micro's uid, its stage), or null: as micros' user
     */
    static Result run(Context ctx, String micro, String what, List<String> argv, Path dir, Map<String, String> env, Path logFile,
                      BuildSandbox.Confinement confined) {
        return run(ctx, micro, what, argv, dir, env, logFile, confined, false);
    }

    /** @param live show the output's lines as they come (prefixed with the micro's name), and keep them in the log too */
    @SuppressWarnings("try") // the step is closed early on purpose (see below), and again, harmlessly, at the end of its block
    static Result run(Context ctx, String micro, String what, List<String> argv, Path dir, Map<String, String> env, Path logFile,
                      BuildSandbox.Confinement confined, boolean live) {
        Log log = ctx.log();
        long t0 = System.nanoTime();
        log.micro(micro, "build", what + " ...");
        int code;
        String limit;
        try {
            Files.createDirectories(logFile.getParent());
            if (confined != null) ctx.prepareDirs(micro);
            ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            if (!live) pb.redirectOutput(logFile.toFile());
            pb.environment().clear();
            pb.environment().putAll(env);
            Thread pump = null;
            try (BuildSandbox.Running step = ctx.builds().start(micro, pb, confined);
                 java.io.Writer kept = live ? Files.newBufferedWriter(logFile, StandardCharsets.UTF_8) : java.io.Writer.nullWriter()) {
                Process p = step.process();
                if (live) pump = micros.runtime.OutputPump.start(micro, p.getInputStream(), "build", (stream, line) -> {
                    log.micro(micro, "build", line);
                    try {
                        kept.write(line + "\n");
                    } catch (IOException e) {
                        // the log file is a copy: the line was shown
                    }
                });
                long next = t0 + ALIVE_EVERY_NANOS;
                while (!p.waitFor(Math.max(1, next - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    log.micro(micro, "build", what + ": still running (" + seconds(System.nanoTime() - t0) + "; its output goes to " + logFile + ")");
                    next += ALIVE_EVERY_NANOS;
                }
                code = p.exitValue();
                limit = step.limitDeath();
                step.close(); // ends what the step left running (a daemon holding its output would keep the pump waiting)
                if (pump != null) pump.join();
            } // ends what the step left running (a daemon an install script started), success or not
            if (confined != null) Stage.fresh(confined.tmp(), ctx.owner(micro)); // its /tmp goes with it
        } catch (IOException e) {
            if (ctx.builds().closed()) return stopped(log, micro, what);
            Result r = new Result(false, what, "could not start: " + e.getMessage());
            log.micro(micro, "build", r.failure());
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, what, "was interrupted");
        }
        if (ctx.builds().closed()) return stopped(log, micro, what);
        String took = seconds(System.nanoTime() - t0);
        if (code == 0) {
            log.micro(micro, "build", what + ": done in " + took);
            return new Result(true, what, null);
        }
        String how = limit != null ? "was " + limit : "failed with exit code " + code;
        String rerun = "cd " + quote(dir.toString()) + " && " + String.join(" ", argv.stream().map(Step::quote).toList());
        if (live) {
            log.micro(micro, "build", what + ": " + how + " after " + took + " (its output is above, and in " + logFile + ")");
            log.micro(micro, "build", "to rerun it by hand: " + rerun);
            return new Result(false, what, how + " (output in " + logFile + "; rerun: " + rerun + ")");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            lines = List.of();
        }
        List<String> last = lines.subList(Math.max(0, lines.size() - LAST_LINES), lines.size());
        log.micro(micro, "build", what + ": " + how + " after " + took + "; " + (last.size() < lines.size() ? "its last " + last.size() + " lines" : "its output")
                + " (all in " + logFile + "):");
        for (String line : last) log.micro(micro, "build", "  " + line);
        log.micro(micro, "build", "to rerun it by hand: " + rerun);
        return new Result(false, what, how + " (output in " + logFile + "; rerun: " + rerun + ")");
    }

    /** micros is stopping: it ended the step, whose failure is not the tool's. */
    private static Result stopped(Log log, String micro, String what) {
        log.micro(micro, "build", what + ": ended, micros is stopping");
        return new Result(false, what, "was ended: micros is stopping");
    }

    static String seconds(long nanos) {
        long tenths = TimeUnit.NANOSECONDS.toMillis(nanos) / 100;
        return tenths / 10 + "." + tenths % 10 + " s";
    }

    static String quote(String s) {
        return s.matches("[A-Za-z0-9_./:=@+-]+") ? s : "'" + s.replace("'", "'\\''") + "'";
    }
}
