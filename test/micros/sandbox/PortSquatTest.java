package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import micros.support.Apps;
import micros.support.Http;

/**
 * A new instance's readiness probe connects to its PORT: a process of another user (another
 * micro, here the test as root) that listens there before the micro binds it must not be taken
 * for the instance and handed its requests.
 */
class PortSquatTest {
    @Test
    void aListenerOfAnotherUserOnTheInstancesPortGetsNoRequest() throws Exception {
        Apps.require("python3");
        Sandbox s = Sandbox.detect(true, 8L << 20, Sandbox.defaultUser());
        Assumptions.assumeTrue(s.mode() == Sandbox.Mode.ROOT, "each micro has a uid of its own only as root: " + (s.on() ? s.mode() : s.reason()));
        Path base = Files.createTempDirectory(Path.of("/var/tmp"), "micros-squat-");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ServerSocket control = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Path app = Apps.copy("squat", base);
            Path spacefile = app.resolve("Spacefile");
            Files.writeString(spacefile, Files.readString(spacefile).replace("CONTROL", Integer.toString(control.getLocalPort())));
            CompletableFuture<ServerSocket> squatter = CompletableFuture.supplyAsync(() -> {
                try (Socket micro = control.accept()) {
                    int port = Integer.parseInt(new BufferedReader(new InputStreamReader(micro.getInputStream(), StandardCharsets.US_ASCII)).readLine().trim());
                    ServerSocket taken = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
                    Thread t = new Thread(() -> answer(taken), "squatter");
                    t.setDaemon(true);
                    t.start();
                    micro.getOutputStream().write('!');
                    return taken;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Apps.Running running = Apps.start(app, Apps.Options.defaults())) {
                Http.Response r = Http.get(running.port(), "/");
                assertFalse(r.text().contains("squatted"), "the squatter answered the micro's request: " + r.text());
                assertEquals(503, r.status(), r.text());
                assertTrue(r.text().contains("taken by another process (uid 0)"), r.text());
            } finally {
                if (squatter.isDone()) squatter.join().close();
            }
        } finally {
            new ProcessBuilder("rm", "-rf", base.toString()).start().waitFor();
        }
    }

    /** Answers every request on the taken port, as a hostile micro would. */
    private static void answer(ServerSocket taken) {
        try {
            for (;;) {
                try (Socket c = taken.accept()) {
                    c.getInputStream().read(new byte[4096]);
                    byte[] body = "squatted\n".getBytes(StandardCharsets.US_ASCII);
                    c.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    c.getOutputStream().write(body);
                }
            }
        } catch (java.io.IOException closed) {
            // the test is over
        }
    }
}
