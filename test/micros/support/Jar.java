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
        if (!Files.exists(JAR)) throw new IllegalStateException("build/micros.jar is missing: run 'make jar' first");
        Path out = Files.createTempFile("micros-out", ".txt"), err = Files.createTempFile("micros-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(command(args)).directory(dir.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
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
        }
    }
}
