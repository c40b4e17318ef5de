package micros.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import micros.runtime.Engines;
import micros.runtime.MicroEnvironment;
import micros.runtime.Remote;
import micros.runtime.StateDir;
import micros.spacefile.App;
import micros.spacefile.App.Micro;

/**
 * An app's process micros started by the test itself, each on its own loopback port with the
 * environment micros would give it (as a container would run them), for `micros gateway`
 * tests: the gateway only gets their URLs. Closing ends every process and its children.
 */
public final class RemoteMicros implements AutoCloseable {
    /** Puts {@link Apps#start} in gateway mode for a whole test class: the same test bodies, micros run "elsewhere". */
    public static final class GatewayMode implements BeforeAllCallback, AfterAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            Apps.gatewayMode = true;
        }

        @Override
        public void afterAll(ExtensionContext context) {
            Apps.gatewayMode = false;
        }
    }

    private final List<Process> processes = new ArrayList<>();
    private final Map<String, Remote> remotes = new LinkedHashMap<>();
    private final Path work;
    public final String apiKey = StateDir.token();

    private RemoteMicros(Path work) {
        this.work = work;
    }

    /** Starts every process micro of the app; returns once each accepts connections. */
    public static RemoteMicros start(App app, Map<String, String> given) throws IOException {
        RemoteMicros r = new RemoteMicros(Files.createTempDirectory("micros-remote-"));
        try {
            r.launchers();
            for (Micro m : app.micros()) {
                if (m.engine().staticLike()) continue;
                Path src = app.root().resolve(m.src().strip().replaceFirst("^/+", "")).normalize(); // as Builder.relative
                if (!(Engines.plan(m, src, false, r.work) instanceof Engines.Command c)) continue;
                int port = freePort();
                Path home = Files.createDirectories(r.work.resolve(m.name()).resolve("home"));
                Path tmp = Files.createDirectories(r.work.resolve(m.name()).resolve("tmp"));
                Map<String, String> env = MicroEnvironment.build(m, false, given, System.getenv(),
                        new MicroEnvironment.Shared("remote_projectkey", r.apiKey, "localhost", "dev"), port, home, tmp, c.env());
                ProcessBuilder pb = new ProcessBuilder(c.argv()).directory(src.toFile())
                        .redirectOutput(r.work.resolve(m.name() + ".log").toFile()).redirectErrorStream(true);
                pb.environment().clear();
                pb.environment().putAll(env);
                r.processes.add(pb.start());
                r.remotes.put(m.name(), Remote.parse(m.name(), "http://127.0.0.1:" + port));
            }
            for (Remote remote : r.remotes.values()) r.await(remote.port());
            return r;
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
    }

    public Map<String, Remote> remotes() {
        return remotes;
    }

    private void launchers() throws IOException {
        for (String launcher : new String[] {"python_launcher.py", "node_launcher.js"}) {
            try (InputStream in = Engines.class.getResourceAsStream(launcher)) {
                if (in == null) throw new IOException("no " + launcher + " on the class path");
                Files.copy(in, work.resolve(launcher));
            }
        }
    }

    private void await(int port) throws IOException {
        long until = System.nanoTime() + 15_000_000_000L;
        while (System.nanoTime() < until) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
        throw new IOException("a remote micro did not listen on port " + port + " within 15 s; see " + work);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var walk = Files.walk(work)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder
        }
    }
}
