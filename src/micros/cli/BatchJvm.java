package micros.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import micros.Main;
import micros.util.UserError;

/**
 * `data import` and `data export` run in a JVM of their own, sized for a batch job. Plain
 * `java -jar` on a machine with much memory gives G1 a heap of 1/64 of it at once and lets its
 * young generation grow to most of that: an import making garbage at full speed kept ~450 MB
 * resident for ~150 MB of live index. The serial collector with a 16 MB young generation and at
 * most 30% of the heap left free keeps the peak near what is live (the bases' indexes): ~200 MB
 * for a 1 GB export. Any JVM option the user gave (or JAVA_TOOL_OPTIONS) is their choice: then
 * the command runs in the JVM as started.
 */
final class BatchJvm {
    private BatchJvm() {}

    static final List<String> OPTIONS = List.of("-XX:+UseSerialGC", "-Xms24m", "-Xmn16m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30");
    private static final String MARK = "micros.batch";

    /** The exit status of {@code micros data ARGS} run again in a batch JVM; null: run it in this one. */
    static Integer rerun(List<String> dataArgs) {
        if (System.getProperty(MARK) != null || !ManagementFactory.getRuntimeMXBean().getInputArguments().isEmpty()) return null;
        String java = ProcessHandle.current().info().command().orElse(null);
        Path jar;
        try {
            jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            return null;
        }
        if (java == null || !Files.isRegularFile(jar)) return null; // not run from the jar: as it is
        List<String> cmd = new ArrayList<>(List.of(java, "-D" + MARK + "=1"));
        cmd.addAll(OPTIONS);
        cmd.addAll(List.of("-cp", jar.toString(), Main.class.getName(), "data"));
        cmd.addAll(dataArgs);
        Process p;
        try {
            p = new ProcessBuilder(cmd).inheritIO().start();
        } catch (java.io.IOException e) {
            return null;
        }
        Thread stop = new Thread(p::destroy); // stopped (Ctrl-C, SIGTERM): the import stops too, having changed nothing
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw UserError.runtime("interrupted");
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(stop);
            } catch (IllegalStateException e) {
                // shutting down already
            }
        }
    }
}
