package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import micros.runtime.RunConfig;
import micros.support.Apps;
import micros.support.Http;

/**
 * A disk-backed /tmp is an image sandbox.sh makes in micros' run folder, which every micro's root
 * shows: another micro that opened it before it is removed would read that instance's /tmp for
 * as long as it keeps it open. Tried with a micro that opens every new file there as fast as it can.
 */
class TmpImageTest {
    @Test
    @SuppressWarnings("unchecked")
    void anotherMicroCannotOpenAnInstancesTmpImageWhileItIsMade() throws Exception {
        Apps.require("python3");
        Sandbox s = Sandbox.detect(true, 8L << 20, Sandbox.defaultUser());
        Assumptions.assumeTrue(s.mode() == Sandbox.Mode.ROOT && s.tmpKind() == Sandbox.TmpKind.DISK,
                "disk-backed /tmp needs root and mkfs.ext4 here: " + (s.on() ? s.mode() + ", " + s.tmpKind() : s.reason()));
        Path base = Files.createTempDirectory(Path.of("/var/tmp"), "micros-tmpimage-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (Apps.Running app = Apps.start(Apps.copy("tmpimage", base), Apps.Options.defaults().freeze(false)
                .sandbox(new RunConfig.Sandboxing(true, 8L << 20, null)))) {
            SandboxTest.ask(app.port(), "/"); // the snoop runs, and keeps running (no freezing)
            List<CompletableFuture<Http.Response>> burst = new ArrayList<>();
            for (int i = 0; i < 4; i++) burst.add(CompletableFuture.supplyAsync(() -> get(app.port(), "/victim/")));
            for (var f : burst) assertEquals(200, f.get().status());
            Map<String, Object> answer = SandboxTest.ask(app.port(), "/");
            // the images are made in a folder the micro cannot even list: it never learns a name to open
            assertEquals("EACCES", answer.get("images"), "the snoop listed the images' folder: " + answer + "\n" + app.output());
            Map<String, Object> images = new java.util.TreeMap<>((Map<String, Object>) answer.get("seen"));
            images.keySet().removeIf(name -> !name.endsWith(".tmp.img"));
            for (var e : images.entrySet()) // had one been made where it can look, it could not have opened it
                assertTrue(List.of("EACCES", "ENOENT").contains(e.getValue()), "the snoop opened " + e.getKey() + ": " + images + "\n" + app.output());
        } finally {
            new ProcessBuilder("rm", "-rf", base.toString()).start().waitFor();
        }
    }

    private static Http.Response get(int port, String target) {
        try {
            return Http.get(port, target);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
