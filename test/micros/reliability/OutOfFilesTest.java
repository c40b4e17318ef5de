package micros.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Http;
import micros.support.Jar;
import micros.support.Jar.Proc;

/** micros started with a low `ulimit -n` and given more connections than it may hold. */
class OutOfFilesTest {
    private static final String LINE = "cannot accept connections on";

    @TempDir
    Path dir;

    /** CPU time the process used, in clock ticks (utime + stime, fields 14 and 15 of /proc/PID/stat). */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" "); // f[0] is field 3
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    @Test
    void theAcceptorWaitsInsteadOfSpinningSaysSoOnceAndRecovers() throws Exception {
        Path app = dir.resolve("app"); // a static micro: micros serves it itself, on a worker, opening the file
        Files.createDirectories(app.resolve("site"));
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: .\n    primary: true\n");
        Files.writeString(app.resolve("site/index.html"), "hello\n");
        List<String> lowLimit = List.of("sh", "-c", "ulimit -n 128 && exec \"$@\"", "sh");
        try (Proc p = Jar.startAs(lowLimit, app, Map.of(), "run", "--port", "0", "--public")) {
            int port = Integer.parseInt(p.await("is listening on", 20).replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1"));
            p.await("Press Ctrl-C to stop.", 20);
            assertEquals("hello\n", Http.get(port, "/").text());
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 200; i++) held.add(new Socket(InetAddress.getLoopbackAddress(), port)); // past 128 they wait in the listen queue
                String said = p.await(LINE, 20);
                assertTrue(said.contains("Too many open files") && said.contains("ulimit -n"), said);
                // a spin detector, not a speed limit: a failing accept retried at once keeps a core busy
                long pid = p.process.pid(), before = cpuTicks(pid);
                Thread.sleep(2000);
                long used = cpuTicks(pid) - before; // 100 ticks a second (Linux's USER_HZ)
                assertTrue(used < 60, "micros used " + used + " ticks of CPU in 2 s while out of file descriptors:\n" + p.output());
                assertEquals(1, p.output().lines().filter(l -> l.contains(LINE)).count(), p.output());
            } finally {
                for (Socket s : held) s.close();
            }
            assertEquals("hello\n", Http.get(port, "/").text()); // accepted once descriptors are free again
            assertTrue(p.process.isAlive(), p.output());
        }
    }
}
