package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.runtime.RunConfig;
import micros.support.Apps;
import micros.support.Jar;

/**
 * A micro's root holds what a Lambda VM held: the system's runtime folders, its code and build
 * folder, micros' run folder, its /tmp; nothing else of the machine. Tried from a Python and a
 * Node micro against world-readable files the test puts in folders of the host (a file of mode
 * 0644 in folders of mode 0755, as another user's project or a service's data would be).
 */
class RootTest {
    static final List<Path> made = new ArrayList<>();
    static final List<Path> secrets = new ArrayList<>(); // a world-readable file in each folder a micro must not see
    static String unique;
    static Path app, other;
    static Apps.Running running;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("python3", "node");
        Sandbox s = Sandbox.detect(true, 8L << 20, Sandbox.defaultUser());
        Assumptions.assumeTrue(s.mode() == Sandbox.Mode.ROOT, "the root tests need root here: " + (s.on() ? "running without root" : s.reason()));
        unique = "micros-root-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        for (String parent : List.of("/srv", "/home", "/var/tmp", "/opt")) {
            Path dir = folder(Path.of(parent).resolve(unique));
            Path secret = Files.writeString(dir.resolve("secret.txt"), "not for micros\n");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
            secrets.add(secret);
        }
        // this app outside /tmp (its folders are then really there on the host), and another project beside it
        Path base = folder(Path.of("/var/tmp").resolve(unique + "-apps"));
        app = Apps.copy("sandbox", base);
        other = Apps.copy("sandbox", folder(base.resolve("other")));
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n"
                + "  - name: site\n    src: site\n    engine: static\n    serve: .\n    primary: true\n"
                + "  - name: py\n    src: probe\n    engine: python3.9\n    run: python3 probe.py\n"
                + "  - name: node\n    src: nodeprobe\n    engine: nodejs16\n    run: node index.js\n");
        running = Apps.start(app, Apps.Options.defaults().sandbox(new RunConfig.Sandboxing(true, 8L << 20, null)));
    }

    private static Path folder(Path p) throws Exception {
        Files.createDirectories(p);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        made.add(p);
        return p;
    }

    @AfterAll
    static void stop() throws Exception {
        if (running != null) running.close();
        for (Path p : made) new ProcessBuilder("rm", "-rf", p.toString()).start().waitFor();
    }

    private static Map<String, Object> ask(String micro, String what, String path) throws Exception {
        return SandboxTest.ask(running.port(), "/" + micro + "/" + what + "?path=" + path);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"py", "node"})
    void aWorldReadableFileOutsideTheSystemAndItsCodeIsNotThere(String micro) throws Exception {
        for (Path secret : secrets) {
            assertTrue(Files.isReadable(secret), "the host has " + secret);
            assertEquals("ENOENT", ask(micro, "read", secret.toString()).get("result"), micro + " reads " + secret);
            assertEquals("ENOENT", ask(micro, "ls", secret.getParent().toString()).get("result"), micro + " lists " + secret.getParent());
        }
        // another project of the machine, and this one's own folder (the micro runs its stage)
        for (Path project : List.of(other, app)) {
            assertEquals("ENOENT", ask(micro, "read", project.resolve("Spacefile").toString()).get("result"), micro + " reads " + project);
            assertEquals("ENOENT", ask(micro, "read", project.resolve("probe/probe.py").toString()).get("result"), micro + " reads " + project);
        }
        // at the top, the system's folders and its own; /var only on the way to its code, which is in /var/tmp here
        assertEquals(List.of("bin", "dev", "etc", "lib", "proc", "sbin", "sys", "tmp", "usr", "var"),
                ((List<?>) ask(micro, "ls", "/").get("files")).stream().filter(f -> !List.of("lib32", "lib64", "libx32").contains(f)).toList());
        assertEquals(List.of("tmp"), ask(micro, "ls", "/var").get("files"));
        assertEquals(List.of(app.getParent().getFileName().toString()), ask(micro, "ls", "/var/tmp").get("files"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"py", "node"})
    void theSystemsFilesAndMicrosCaBundleAreThere(String micro) throws Exception {
        List<String> readable = new ArrayList<>(List.of("/etc/hosts", "/etc/passwd", "/etc/nsswitch.conf", "/etc/resolv.conf", "/etc/localtime"));
        readable.removeIf(p -> !Files.isReadable(Path.of(p))); // what this machine has
        for (String name : List.of("SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS")) {
            Object bundle = SandboxTest.ask(running.port(), "/" + micro + "/env?name=" + name).get("value");
            assertNotNull(bundle, name + " is set");
            readable.add(bundle.toString());
        }
        for (String p : readable) assertEquals("ok", ask(micro, "read", p).get("result"), micro + " reads " + p);
        assertEquals("ok", ask(micro, "ls", "/usr/lib").get("result"));
    }

    /** A project in a system folder (a container's /usr/src/app): the root keeps /usr, but of the project only the micro's stage. */
    @Test
    void aProjectInsideASystemFolderShowsOnlyTheMicrosStage() throws Exception {
        Path project = Apps.copy("sandbox", folder(Path.of("/usr/src").resolve(unique)));
        Files.writeString(project.resolve("Spacefile"), "v: 0\nmicros:\n  - name: node\n    src: nodeprobe\n    engine: nodejs16\n    run: node index.js\n");
        try (Jar.Proc micros = Jar.start(project, Map.of(), "run", "--port", "0", "--public")) {
            String line = micros.await("is listening on", 30);
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
            assertEquals(List.of(".micros"), SandboxTest.ask(port, "/ls?path=" + project).get("files"), micros.output());
            assertEquals(List.of("build"), SandboxTest.ask(port, "/ls?path=" + project.resolve(".micros")).get("files"));
            assertEquals(List.of("node"), SandboxTest.ask(port, "/ls?path=" + project.resolve(".micros/build")).get("files"));
            assertEquals("ENOENT", SandboxTest.ask(port, "/read?path=" + project.resolve("Spacefile")).get("result"));
            assertEquals("ok", SandboxTest.ask(port, "/read?path=/usr/bin/env").get("result"));
        }
    }

    /** systemd-resolved's /etc/resolv.conf links into /run: that file is kept, and nothing else of /run. */
    @Test
    void aResolvConfThatLinksIntoRunIsKept() throws Exception {
        Path run = folder(Path.of("/run").resolve(unique)), etc = folder(Path.of("/var/tmp").resolve(unique + "-etc"));
        Files.writeString(run.resolve("resolv.conf"), "nameserver 127.0.0.53\n");
        Files.writeString(run.resolve("other.sock"), "a socket's stand-in\n");
        for (Path p : List.of(run.resolve("resolv.conf"), run.resolve("other.sock"))) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(0, new ProcessBuilder("cp", "-a", "/etc/.", etc.toString()).inheritIO().start().waitFor());
        Files.deleteIfExists(etc.resolve("resolv.conf"));
        Files.createSymbolicLink(etc.resolve("resolv.conf"), Path.of("..").resolve(Path.of("/").relativize(run.resolve("resolv.conf"))));
        Path only = Apps.copy("sandbox", folder(Path.of("/var/tmp").resolve(unique + "-dns")));
        Files.writeString(only.resolve("Spacefile"), "v: 0\nmicros:\n  - name: node\n    src: nodeprobe\n    engine: nodejs16\n    run: node index.js\n");
        // micros in a mount namespace of its own where that /etc is the machine's
        List<String> withEtc = List.of("unshare", "-m", "--propagation", "private", "sh", "-c", "mount --bind \"$0\" /etc && exec \"$@\"", etc.toString());
        try (Jar.Proc micros = Jar.startAs(withEtc, only, Map.of(), "run", "--port", "0", "--public")) {
            String line = micros.await("is listening on", 30);
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
            assertEquals("ok", SandboxTest.ask(port, "/read?path=/etc/resolv.conf").get("result"), micros.output());
            assertEquals(List.of("resolv.conf"), SandboxTest.ask(port, "/ls?path=" + run).get("files"));
            assertEquals(List.of(run.getFileName().toString()), SandboxTest.ask(port, "/ls?path=/run").get("files"));
        }
    }

    /**
     * A run line that names a program by its path outside the system folders (a script of another
     * project) does not bring that program's folder into the root: the app picks that path, and
     * the folder holds whatever it holds (the other project's .env).
     */
    @Test
    void aProgramTheRunLineNamesByItsPathDoesNotBringItsFolderIn() throws Exception {
        Path neighbour = folder(Path.of("/srv").resolve(unique + "-neighbour"));
        Path script = Files.writeString(neighbour.resolve("manage.sh"), "#!/bin/sh\nexit 1\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path env = Files.writeString(neighbour.resolve(".env"), "NEIGHBOUR_SECRET=1\n");
        Files.setPosixFilePermissions(env, PosixFilePermissions.fromString("rw-r--r--"));
        Path only = Apps.copy("sandbox", folder(Path.of("/var/tmp").resolve(unique + "-named")));
        Files.writeString(only.resolve("Spacefile"), "v: 0\nmicros:\n  - name: node\n    src: nodeprobe\n    engine: nodejs16\n    run: "
                + script + " || node index.js\n");
        try (Jar.Proc micros = Jar.start(only, Map.of(), "run", "--port", "0", "--public")) {
            String line = micros.await("is listening on", 30);
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
            assertEquals("ENOENT", SandboxTest.ask(port, "/read?path=" + env).get("result"), micros.output());
            assertEquals("ENOENT", SandboxTest.ask(port, "/ls?path=" + neighbour).get("result"));
        }
    }

    /** A node installed in /opt (as a tarball or a CI's tool cache puts it) runs, with its installation; /opt's others stay out. */
    @Test
    void anInterpreterOutsideTheSystemFoldersIsKeptWithItsInstallation() throws Exception {
        Path install = folder(Path.of("/opt").resolve(unique + "-node")), bin = folder(install.resolve("bin")), lib = folder(install.resolve("lib"));
        Path node = bin.resolve("node"), real = micros.runtime.AppRuntime.onPath("node").toRealPath();
        try {
            Files.createLink(node, real); // the same program, at a path of its own
        } catch (java.io.IOException | UnsupportedOperationException otherFilesystem) {
            Files.copy(real, node, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
        Files.setPosixFilePermissions(Files.writeString(lib.resolve("marker.txt"), "node's own\n"), PosixFilePermissions.fromString("rw-r--r--"));
        Path only = Apps.copy("sandbox", folder(Path.of("/var/tmp").resolve(unique + "-opt")));
        Files.writeString(only.resolve("Spacefile"), "v: 0\nmicros:\n  - name: node\n    src: nodeprobe\n    engine: nodejs16\n    run: node index.js\n");
        try (Jar.Proc micros = Jar.start(only, Map.of("PATH", bin + ":/usr/local/bin:/usr/bin:/bin"), "run", "--port", "0", "--public")) {
            String line = micros.await("is listening on", 30);
            int port = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
            assertEquals(node.toString(), SandboxTest.ask(port, "/exec").get("value"), "the node PATH picks: " + micros.output());
            assertEquals("ok", SandboxTest.ask(port, "/read?path=" + lib.resolve("marker.txt")).get("result"), "its installation is there");
            assertEquals("ENOENT", SandboxTest.ask(port, "/read?path=" + secrets.get(3)).get("result"), "not the rest of /opt");
        }
    }
}
