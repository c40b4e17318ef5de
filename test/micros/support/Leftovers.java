package micros.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import micros.runtime.ProcessTree;

/**
 * Fails a test class that leaves a process running: after every class (registered for all of
 * them through META-INF/services), no process the tests started may still run. `make test`
 * runs the JVM under a child subreaper (test/subreaper), so a micro whose parent died is adopted
 * by it and still counts as one of its descendants (and is reaped when it ends). Leftovers are killed after the report,
 * so the next class starts clean.
 */
public final class Leftovers implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        long until = System.nanoTime() + 5_000_000_000L; // stops in progress (a SIGTERM's grace) may finish
        List<ProcessHandle> left;
        while (!(left = running()).isEmpty() && System.nanoTime() < until) Thread.sleep(50);
        if (left.isEmpty()) return;
        String list = left.stream().map(h -> h.pid() + " " + cmdline(h.pid())).collect(Collectors.joining("; "));
        left.forEach(ProcessTree::kill);
        throw new AssertionError(context.getDisplayName() + " left " + left.size() + " process(es) running: " + list);
    }

    /** What the tests started and is still running: under the subreaper when there is one (it adopts orphans), else under this JVM. */
    private static List<ProcessHandle> running() {
        ProcessHandle self = ProcessHandle.current();
        ProcessHandle root = self.parent().filter(p -> Long.toString(p.pid()).equals(System.getenv("MICROS_TEST_SUBREAPER"))).orElse(self);
        return root.descendants().filter(h -> h.pid() != self.pid()).filter(ProcessTree::running).toList();
    }

    private static String cmdline(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ').strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
