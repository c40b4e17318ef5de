package micros.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the built micros.jar as a separate process, the way users run it. */
public final class Jar {
    public static final Path JAR = Path.of("build/micros.jar").toAbsolutePath();

    private Jar() {}

    public record Result(int exit, String out, String err) {
        public String all() {
            return out + err;
        }
    }

    public static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs to completion (at most 60 s) and returns exit code, stdout and stderr. */
    public static Result run(Path dir, String... args) throws IOException, InterruptedException {
        return runWithInput(dir, "", args);
    }

    /** Runs with {@code input} as its standard input (answers to questions). */
    public static Result runWithInput(Path dir, String input, String... args) throws IOException, InterruptedException {
        if (!Files.exists(JAR)) throw new IllegalStateException("build/micros.jar is missing: run 'make jar' first");
        Path out = Files.createTempFile("micros-out", ".txt"), err = Files.createTempFile("micros-err", ".txt");
        Path in = Files.createTempFile("micros-in", ".txt");
        Files.writeString(in, input);
        try {
            ProcessBuilder pb = new ProcessBuilder(command(args)).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(in.toFile());
            pb.environment().put("NO_COLOR", "1");
            Process p = pb.start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("micros " + String.join(" ", args) + " did not finish in 60 s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            Files.deleteIfExists(in);
        }
    }

    /** A micros process that keeps running (run), with its output collected line by line. */
    public static final class Proc implements AutoCloseable {
        public final Process process;
        private final java.util.List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();

        Proc(Process p) {
            this.process = p;
            Thread t = new Thread(() -> {
                try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) lines.add(l);
                } catch (IOException ignored) {
                    // the process ended
                }
            });
            t.setDaemon(true);
            t.start();
        }

        /** Waits for an output line containing the text; returns it. */
        public String await(String text, long seconds) throws InterruptedException {
            long until = System.nanoTime() + seconds * 1_000_000_000L;
            while (System.nanoTime() < until) {
                for (String l : lines) if (l.contains(text)) return l;
                if (!process.isAlive()) break;
                Thread.sleep(20);
            }
            for (String l : lines) if (l.contains(text)) return l;
            throw new AssertionError("no line with '" + text + "' in:\n" + output());
        }

        public String output() {
            return String.join("\n", lines);
        }

        /** Sends a signal by name (TERM, INT, KILL). */
        public void signal(String sig) throws IOException, InterruptedException {
            new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).start().waitFor();
        }

        public int waitFor(long seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) throw new AssertionError("micros did not exit within " + seconds + " s:\n" + output());
            return process.exitValue();
        }

        @Override
        /** Stops micros as a user would (SIGTERM: it stops its micros), and kills it only if it does not end in 10 s. */
        public void close() {
            process.destroy();
            try {
                if (process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process.destroyForcibly();
        }
    }

    /** Starts micros with stderr merged into stdout; {@code env} entries are added (a null value removes one). */
    public static Proc start(Path dir, java.util.Map<String, String> env, String... args) throws IOException {
        return startAs(List.of(), dir, env, args);
    }

    /** Starts micros under a launcher ({@code setpriv ... --} to run it as another user). */
    public static Proc startAs(List<String> launcher, Path dir, java.util.Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(command(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("NO_COLOR", "1");
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        return new Proc(pb.start());
    }

    /** Runs to completion with extra environment. */
    public static Result run(Path dir, java.util.Map<String, String> env, String... args) throws IOException, InterruptedException {
        try (Proc p = start(dir, env, args)) {
            int code = p.waitFor(60);
            Thread.sleep(50);
            return new Result(code, p.output(), "");
        }
    }
}
