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
 * environment micros would give it (as a container would run them), each behind micros' guard
 * as the export starts them: the gateway only gets their URLs and the {@link #key} the guard
 * wants. Closing ends every process and its children.
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
    /** The gateway's key (MICROS_GATEWAY_KEY): each micro's guard answers 403 to a request without it. */
    public final String key = StateDir.token();

    private RemoteMicros(Path work) {
        this.work = work;
    }

    /** Starts every process micro of the app from its folder, as micros plans it; returns once each accepts connections. */
    public static RemoteMicros start(App app, Map<String, String> given) throws IOException {
        Apps.require("perl");
        RemoteMicros r = new RemoteMicros(Files.createTempDirectory("micros-remote-"));
        try {
            r.launchers();
            for (Micro m : app.micros()) {
                if (m.engine().staticLike()) continue;
                Path src = app.root().resolve(m.src().strip().replaceFirst("^/+", "")).normalize(); // as Builder.relative
                if (!(Engines.plan(m, src, false, r.work) instanceof Engines.Command c)) continue;
                r.launch(app, m, given, c.argv(), c.env(), src);
            }
            r.awaitAll();
            return r;
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /**
     * Starts every process micro of an export from its folder, {@code micros/NAME/}, by the CMD of
     * its Dockerfile (the guard, then what micros runs), its image's paths mapped to the folder:
     * {@code /opt/micros/} to the folder, the working folder {@code /app} to its {@code app/}.
     */
    public static RemoteMicros fromExport(App app, Path export, Map<String, String> given) throws IOException {
        Apps.require("perl");
        RemoteMicros r = new RemoteMicros(Files.createTempDirectory("micros-remote-"));
        try {
            for (Micro m : app.micros()) {
                if (m.engine().staticLike()) continue;
                Path dir = export.resolve("micros").resolve(m.name());
                String cmd = Files.readAllLines(dir.resolve("Dockerfile")).stream().filter(l -> l.startsWith("CMD ")).findFirst().orElseThrow();
                List<String> argv = new ArrayList<>();
                for (Object a : (List<?>) micros.util.Json.parse(cmd.substring(4))) argv.add(((String) a).replace("/opt/micros/", dir + "/"));
                r.launch(app, m, given, argv, Map.of(), dir.resolve("app"));
            }
            r.awaitAll();
            return r;
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /** One micro behind the guard (argv given whole when it already starts with it), on a port of its own. */
    private void launch(App app, Micro m, Map<String, String> given, List<String> command, Map<String, String> extra, Path dir) throws IOException {
        int port = freePort();
        Path home = Files.createDirectories(work.resolve(m.name()).resolve("home"));
        Path tmp = Files.createDirectories(work.resolve(m.name()).resolve("tmp"));
        Map<String, String> env = MicroEnvironment.build(m, false, given, System.getenv(),
                new MicroEnvironment.Shared("remote_projectkey", apiKey, "localhost", "dev"), port, home, tmp, extra);
        env.put("MICROS_GATEWAY_KEY", key);
        List<String> argv = new ArrayList<>(command);
        if (!argv.get(0).equals("perl")) argv.addAll(0, List.of("perl", work.resolve("guard.pl").toString()));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile())
                .redirectOutput(work.resolve(m.name() + ".log").toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        processes.add(pb.start());
        remotes.put(m.name(), Remote.parse(m.name(), "http://127.0.0.1:" + port).withKey(key));
    }

    private void awaitAll() throws IOException {
        for (Remote remote : remotes.values()) await(remote.port());
    }

    public Map<String, Remote> remotes() {
        return remotes;
    }

    private void launchers() throws IOException {
        for (String launcher : new String[] {"python_launcher.py", "node_launcher.js", "guard.pl"}) {
            Class<?> owner = launcher.equals("guard.pl") ? micros.export.KnativeExport.class : Engines.class;
            try (InputStream in = owner.getResourceAsStream(launcher)) {
                if (in == null) throw new IOException("no " + launcher + " on the class path");
                Files.copy(in, work.resolve(launcher));
            }
        }
    }

    /** A micro's output so far (its guard's lines too), for assertion messages. */
    public String log(String micro) {
        try {
            return Files.readString(work.resolve(micro + ".log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
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
        throw new IOException("a remote micro did not listen on port " + port + " within 15 s: " + remotes.keySet().stream().map(this::log).toList());
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
