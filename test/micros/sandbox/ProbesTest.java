package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.cli.RunCommand;
import micros.util.UserError;

/** The probes `run` starts while it reads the Spacefile: a Spacefile that stops the run leaves no cgroup behind. */
class ProbesTest {
    @TempDir
    Path dir;

    @Test
    void anInvalidSpacefileLeavesNoCgroupOfTheRun() throws Exception {
        Cgroups.Found found = Cgroups.find(Map.of());
        Path root = found.memory() != null ? found.memory() : found.v2();
        Assumptions.assumeTrue(root != null && Files.isWritable(root), "no writable cgroup tree here: " + found.reason());
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: .\n    engine: nosuchengine\n");
        List<String> before = ours(root);
        PrintStream out = new PrintStream(new ByteArrayOutputStream());
        assertThrows(UserError.class, () -> RunCommand.run(List.of(dir.resolve("Spacefile").toString(), "--port", "0"), out));
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().equals("micros-probes")) t.join(); // what it made is there now
        assertEquals(before, ours(root), "the run's cgroups in " + root);
    }

    /** This JVM's run groups: micros-PID, micros-PID-2 ... */
    private static List<String> ours(Path root) throws IOException {
        String mine = "micros-" + ProcessHandle.current().pid();
        try (Stream<Path> s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.equals(mine) || n.startsWith(mine + "-")).sorted().toList();
        }
    }
}
