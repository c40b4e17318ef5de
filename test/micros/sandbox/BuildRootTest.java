package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import micros.support.Apps;
import micros.support.Jar;

/**
 * A build step's root holds what Space's builder container held: the system, the build's tools,
 * the micro's build folder; nothing else of the machine. A `commands` line (what an install
 * script could do too) tries to copy world-readable files of the host (another service's data
 * in /srv, a home, a neighbour project) into the micro's code, which the micro would then serve,
 * and to list the host's folders; and the build still runs, and the micro serves.
 */
class BuildRootTest {
    private final List<Path> made = new ArrayList<>();

    @AfterEach
    void clean() throws Exception {
        for (Path p : made) new ProcessBuilder("rm", "-rf", p.toString()).start().waitFor();
    }

    private Path folder(Path p) throws Exception {
        Files.createDirectories(p);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        made.add(p);
        return p;
    }

    private static Path secret(Path dir, String name) throws Exception {
        Path f = Files.writeString(dir.resolve(name), "neighbour-secret\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        return f;
    }

    @Test
    void aCommandsLineCannotReadNorListTheMachineAndTheBuildStillWorks() throws Exception {
        Apps.require("python3");
        Sandbox s = Sandbox.detect(true, 8L << 20, Sandbox.defaultUser());
        Assumptions.assumeTrue(s.mode() == Sandbox.Mode.ROOT, "builds run in a root of their own as root: " + (s.on() ? "running without root" : s.reason()));
        tryToLeak(List.of(), null);
    }

    /**
     * The same without root: micros runs as nobody, so each step runs as micros' user in a user
     * namespace of its own, and still in the build's root (before, it saw all nobody can read).
     */
    @Test
    void withoutRootAStepStillSeesOnlyItsRoot() throws Exception {
        Apps.require("python3");
        assumeNobodysUserNamespaces();
        tryToLeak(UserNamespaceSandboxTest.AS_NOBODY, "65534:65534");
    }

    /** Without root, pip and npm install in the build's root as micros' user (root of the step's user namespace, without privileges). */
    @Test
    void withoutRootPipAndNpmInstallInTheBuildsRoot() throws Exception {
        Apps.require("python3", "node", "npm");
        assumeNobodysUserNamespaces();
        String unique = "micros-buildroot-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path app = folder(Path.of("/var/tmp", unique + "-app")), userHome = folder(Path.of("/var/tmp", unique + "-home"));
        Path wheels = folder(Path.of("/var/tmp", unique + "-wheels")); // the owner's offline wheels, outside the project
        micros.support.Packages.wheel(wheels, "tinywheel", "1.0", "VALUE = 'from-wheel'\n");
        Path py = Files.createDirectories(app.resolve("py")), js = Files.createDirectories(app.resolve("js"));
        Files.writeString(py.resolve("requirements.txt"), "tinywheel==1.0\n");
        Files.writeString(py.resolve("main.py"), pythonServer("tinywheel", "tinywheel.VALUE.encode()"));
        Path packed = micros.support.Packages.npmTarball(Files.createDirectories(app.resolve("packages")), "tinydep", "'from-tarball'");
        Files.move(packed, js.resolve(packed.getFileName())); // in the micro's upload, as on Space
        Files.writeString(js.resolve("package.json"), "{\"name\": \"js\", \"version\": \"1.0.0\", \"dependencies\": {\"tinydep\": \"file:" + packed.getFileName() + "\"}}\n");
        Files.writeString(js.resolve("index.js"), "require('http').createServer((q, r) => r.end(require('tinydep'))).listen(process.env.PORT);\n");
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: py\n    src: py\n    engine: python3.9\n    primary: true\n    run: python3 main.py\n"
                + "  - name: js\n    src: js\n    engine: nodejs16\n    path: js\n    run: node index.js\n");
        Map<String, String> env = nobodysEnv(userHome);
        env.put("PIP_NO_INDEX", "1");
        env.put("PIP_FIND_LINKS", wheels.toString());
        try (Jar.Proc p = runAsNobody(app, env, userHome)) {
            int port = port(p);
            p.await("in a root of their own", 20); // the builds line says where builds run (printed after the listening line)
            assertEquals("from-wheel", micros.support.Http.get(port, "/").text(), p.output());
            assertEquals("from-tarball", micros.support.Http.get(port, "/js/").text(), p.output());
            stop(p);
        }
    }

    /**
     * A tool in the home of micros' user ($HOME/bin/python3, where $HOME is not the password file's
     * home, as for nobody or under sudo -E) brings itself into the roots, never the whole home: the
     * micro and a build step try to read a file beside it (before, $HOME came whole as the tool's
     * installation, and both read it).
     */
    @Test
    void withoutRootAToolInTheUsersHomeDoesNotBringTheHome() throws Exception {
        Apps.require("python3");
        assumeNobodysUserNamespaces();
        String unique = "micros-buildroot-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path app = folder(Path.of("/var/tmp", unique + "-app")), userHome = folder(Path.of("/var/tmp", unique + "-home"));
        Path bin = folder(userHome.resolve("bin")), python = bin.resolve("python3");
        Process real = new ProcessBuilder("python3", "-c", "import os, sys; print(os.path.realpath(sys.executable))").start(); // past pyenv's shims
        Files.copy(Path.of(new String(real.getInputStream().readAllBytes()).strip()), python);
        assertEquals(0, real.waitFor());
        Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path secret = Files.writeString(userHome.resolve("notes.txt"), "home-secret\n");
        Path src = Files.createDirectories(app.resolve("a"));
        Files.writeString(src.resolve("main.py"), pythonServer("sys", "(sys.executable + ' ' + (open('" + secret + "').read() if os.path.exists('" + secret + "') else 'absent')).encode()"));
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: a\n    src: a\n    engine: python3.9\n    primary: true\n    run: python3 main.py\n"
                + "    commands:\n      - \"cat " + secret + " > leak.txt 2>&1; true\"\n");
        Map<String, String> env = nobodysEnv(userHome);
        env.put("PATH", bin + ":/usr/bin:/bin");
        try (Jar.Proc p = runAsNobody(app, env, userHome)) {
            int port = port(p);
            assertEquals(python + " absent", micros.support.Http.get(port, "/").text(), "the micro runs the home's python, and sees nothing else of the home:\n" + p.output());
            String leak = Files.readString(app.resolve(".micros/build/a/app/leak.txt"));
            assertFalse(leak.contains("home-secret"), "a build step read a file of the home:\n" + leak);
            assertTrue(leak.contains("No such file or directory"), "not even there for the build:\n" + leak + "\n" + p.output());
            stop(p);
        }
    }

    /** A python micro that answers every GET with {@code body}, a Python expression of bytes, having imported {@code imports} (or none: ""). */
    private static String pythonServer(String imports, String body) {
        return "import http.server, os" + (imports.isEmpty() ? "" : ", " + imports) + "\n"
                + "class H(http.server.BaseHTTPRequestHandler):\n"
                + "    def do_GET(self):\n"
                + "        body = " + body + "\n"
                + "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)\n"
                + "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n";
    }

    /** The environment of micros run by nobody: its home {@code userHome} (micros' CA and data go there), no XDG folder of root's. */
    private static Map<String, String> nobodysEnv(Path userHome) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", userHome.toString());
        env.put("XDG_DATA_HOME", null);
        return env;
    }

    /** The port of a micros that started, once it listens. */
    private static int port(Jar.Proc p) throws InterruptedException {
        String line = p.await("is listening on", 120);
        return Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
    }

    /** Skips the test unless micros can run as nobody here with user namespaces. */
    private static void assumeNobodysUserNamespaces() throws Exception {
        Assumptions.assumeTrue(Sandbox.isRoot(), "switching to an unprivileged user needs root");
        List<String> probe = new ArrayList<>(UserNamespaceSandboxTest.AS_NOBODY);
        probe.addAll(List.of("unshare", "-U", "-r", "-m", "true"));
        Process userns = new ProcessBuilder(probe).redirectErrorStream(true).start();
        Assumptions.assumeTrue(userns.waitFor() == 0, "unprivileged user namespaces are not allowed here: " + new String(userns.getInputStream().readAllBytes()).trim());
    }

    /** micros run by nobody in {@code app}, which it owns with {@code owned} (its home among them), with {@code env}. */
    private static Jar.Proc runAsNobody(Path app, Map<String, String> env, Path... owned) throws Exception {
        List<String> chown = new ArrayList<>(List.of("chown", "-R", "65534:65534", app.toString()));
        for (Path o : owned) chown.add(o.toString());
        assertEquals(0, new ProcessBuilder(chown).inheritIO().start().waitFor());
        return Jar.startAs(UserNamespaceSandboxTest.AS_NOBODY, app, env, "run", "--port", "0", "--public");
    }

    /** Stops micros as Ctrl-C would, so it removes what it made. */
    private static void stop(Jar.Proc p) throws Exception {
        p.signal("TERM");
        p.waitFor(20);
    }

    /**
     * A step may rewrite its virtualenv: the links in it must not choose what the next step's root
     * and the micro's root keep. A `commands` line links the virtualenv's python and python3 to a
     * script of another project of micros' user (a 0700 folder), as a virtualenv links to its
     * interpreter; the next line and the micro then try to read that project's .env (before, both
     * roots kept the folder the links led to, and both read it).
     */
    @Test
    void withoutRootAVirtualenvsLinksDoNotWidenTheRoots() throws Exception {
        Apps.require("python3");
        assumeNobodysUserNamespaces();
        String unique = "micros-buildroot-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path app = folder(Path.of("/var/tmp", unique + "-app")), userHome = folder(Path.of("/var/tmp", unique + "-home"));
        Path other = folder(Path.of("/var/tmp", unique + "-other"));
        Path script = Files.writeString(other.resolve("deploy.sh"), "#!/bin/sh\n");
        Path key = Files.writeString(other.resolve(".env"), "neighbour-secret\n");
        Files.setPosixFilePermissions(other, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Path src = Files.createDirectories(app.resolve("a"));
        Files.writeString(src.resolve("requirements.txt"), "# nothing to install: a virtualenv all the same\n");
        Files.writeString(src.resolve("main.py"), "import http.server, os\n"
                + "class H(http.server.BaseHTTPRequestHandler):\n"
                + "    def do_GET(self):\n"
                + "        try:\n"
                + "            body = open('" + key + "', 'rb').read()\n"
                + "        except OSError as e:\n"
                + "            body = str(e).encode()\n"
                + "        self.send_response(200); self.send_header('Content-Length', str(len(body))); self.end_headers(); self.wfile.write(body)\n"
                + "http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()\n");
        // python and python3 (what the roots keep with their installation) lead to the script; real, to the interpreter, runs the micro
        String poison = "v=$HOME/../venv/bin; ln -sfn $(readlink -f $v/python3) $v/real; ln -sfn " + script + " $v/python3; ln -sfn " + script + " $v/python";
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: a\n    src: a\n    engine: python3.9\n    primary: true\n"
                + "    run: exec $VIRTUAL_ENV/bin/real main.py\n    commands:\n      - \"" + poison + "\"\n      - \"cat " + key + " > leak.txt 2>&1; true\"\n");
        Map<String, String> env = nobodysEnv(userHome);
        env.put("PIP_NO_INDEX", "1");
        env.put("PIP_FIND_LINKS", null);
        try (Jar.Proc p = runAsNobody(app, env, userHome, other)) {
            int port = port(p);
            String served = micros.support.Http.get(port, "/").text();
            assertFalse(served.contains("neighbour-secret"), "the micro read the other project's .env: " + served);
            assertTrue(served.contains("No such file or directory"), "not even there for the micro: " + served + "\n" + p.output());
            String leak = Files.readString(app.resolve(".micros/build/a/app/leak.txt"));
            assertFalse(leak.contains("neighbour-secret"), "the next step read the other project's .env:\n" + leak);
            assertTrue(leak.contains("No such file or directory"), "not even there for the build:\n" + leak + "\n" + p.output());
            stop(p);
        }
    }

    /**
     * The roots keep the interpreter a virtualenv was made from by micros' own record, not by its links:
     * a python installed in /opt (a copy of the machine's) makes the micro's virtualenv, which installs
     * a local wheel and runs the micro.
     */
    @Test
    void withoutRootAVirtualenvOfAnInterpreterInOptInstallsAndRuns() throws Exception {
        Apps.require("python3");
        assumeNobodysUserNamespaces();
        String unique = "micros-buildroot-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path app = folder(Path.of("/var/tmp", unique + "-app")), userHome = folder(Path.of("/var/tmp", unique + "-home"));
        Path wheels = folder(Path.of("/var/tmp", unique + "-wheels"));
        micros.support.Packages.wheel(wheels, "tinywheel", "1.0", "VALUE = 'from-wheel'\n");
        Path bin = folder(folder(Path.of("/opt", unique)).resolve("bin"));
        Path python = bin.resolve("python3");
        Process real = new ProcessBuilder("python3", "-c", "import os, sys; print(os.path.realpath(sys.executable))").start(); // past pyenv's shims
        Files.copy(Path.of(new String(real.getInputStream().readAllBytes()).strip()), python);
        assertEquals(0, real.waitFor());
        Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path src = Files.createDirectories(app.resolve("a"));
        Files.writeString(src.resolve("requirements.txt"), "tinywheel==1.0\n");
        Files.writeString(src.resolve("main.py"), pythonServer("sys, tinywheel", "(tinywheel.VALUE + ' ' + sys._base_executable).encode()"));
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: a\n    src: a\n    engine: python3.9\n    primary: true\n    run: python3 main.py\n");
        Map<String, String> env = nobodysEnv(userHome);
        env.put("PATH", bin + ":/usr/bin:/bin");
        env.put("PIP_NO_INDEX", "1");
        env.put("PIP_FIND_LINKS", wheels.toString());
        try (Jar.Proc p = runAsNobody(app, env, userHome)) {
            int port = port(p);
            assertEquals("from-wheel " + python, micros.support.Http.get(port, "/").text(), p.output());
            stop(p);
        }
    }

    /**
     * An offline wheel folder the owner names keeps micros' CA hidden when it holds it: PIP_FIND_LINKS
     * names the home of micros' user, whose data folder holds the CA's private keys; a `commands`
     * line tries to copy the server key into the code (before, the wheel folder came whole).
     */
    @Test
    void withoutRootAWheelFolderHoldingTheCaKeepsItHidden() throws Exception {
        Apps.require("python3");
        assumeNobodysUserNamespaces();
        String unique = "micros-buildroot-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path app = folder(Path.of("/var/tmp", unique + "-app")), userHome = folder(Path.of("/var/tmp", unique + "-home"));
        micros.support.Packages.wheel(userHome, "tinywheel", "1.0", "VALUE = 'from-wheel'\n");
        Path ca = userHome.resolve(".local/share/micros/ca");
        Path src = Files.createDirectories(app.resolve("a"));
        Files.writeString(src.resolve("requirements.txt"), "tinywheel==1.0\n");
        Files.writeString(src.resolve("main.py"), pythonServer("tinywheel", "tinywheel.VALUE.encode()"));
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: a\n    src: a\n    engine: python3.9\n    primary: true\n"
                + "    run: python3 main.py\n    commands:\n      - \"cat " + ca.resolve("server-key.pem") + " > leak.txt 2>&1; ls " + ca + " > list.txt 2>&1; true\"\n");
        Map<String, String> env = nobodysEnv(userHome);
        env.put("XDG_DATA_HOME", userHome.resolve(".local/share").toString()); // the CA in the home, as for a user with one
        env.put("PIP_NO_INDEX", "1");
        env.put("PIP_FIND_LINKS", userHome.toString());
        try (Jar.Proc p = runAsNobody(app, env, userHome)) {
            int port = port(p);
            assertTrue(Files.exists(ca.resolve("server-key.pem")), "micros made its CA in the home:\n" + p.output());
            assertEquals("from-wheel", micros.support.Http.get(port, "/").text(), "the wheel folder still serves pip:\n" + p.output());
            String leak = Files.readString(app.resolve(".micros/build/a/app/leak.txt"));
            assertFalse(leak.contains("PRIVATE KEY"), "a step read the CA's key:\n" + leak);
            assertTrue(leak.contains("No such file or directory"), "not even there for the build:\n" + leak);
            assertEquals("", Files.readString(app.resolve(".micros/build/a/app/list.txt")), "the CA's folder is empty for the build");
            stop(p);
        }
    }

    /** A `commands` line copies world-readable files of the host into the stage and lists its folders; micros runs under {@code launcher}, as {@code owner}'s when given. */
    private void tryToLeak(List<String> launcher, String owner) throws Exception {
        String unique = "micros-buildroot-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path srv = secret(folder(Path.of("/srv", unique)), "secret.txt");
        Path home = secret(folder(Path.of("/home", unique)), "secret.txt");
        Path opt = secret(folder(Path.of("/opt", unique)), "secret.txt");
        Path neighbour = secret(folder(Path.of("/var/tmp", unique + "-other")), ".env");
        Path app = folder(Path.of("/var/tmp", unique + "-app"));
        Path src = Files.createDirectories(app.resolve("a"));
        Files.writeString(src.resolve("main.py"), pythonServer("", "open('built.txt', 'rb').read()"));
        StringBuilder line = new StringBuilder("echo built > built.txt");
        int n = 0;
        for (Path f : List.of(srv, home, opt, neighbour)) line.append("; cat ").append(f).append(" > leak").append(n++).append(".txt 2>&1");
        for (String d : List.of("/home", "/srv", "/opt", "/var", "/var/tmp")) line.append("; ls -a ").append(d).append(" > list").append(d.replace('/', '-')).append(".txt 2>&1");
        line.append("; cat /proc/1/cmdline > pid1.txt"); // the step's pid 1, as ps shows it
        line.append("; cat /proc/self/mounts > mounts.txt");
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: a\n    src: a\n    engine: python3.9\n    primary: true\n"
                + "    run: python3 main.py\n    commands:\n      - \"" + line + "\"\n");
        Map<String, String> env = new HashMap<>();
        env.put("PIP_FIND_LINKS", null); // no wheel folder of the owner's: what the root holds is the test's alone
        if (owner != null) { // nobody's project, and a home of its own for micros' CA beside it (not in what the build may see)
            Path userHome = folder(Path.of("/var/tmp", unique + "-home"));
            assertEquals(0, new ProcessBuilder("chown", "-R", owner, app.toString(), userHome.toString()).inheritIO().start().waitFor());
            env.put("HOME", userHome.toString());
            env.put("XDG_DATA_HOME", null);
        }
        String output;
        int exit;
        try (Jar.Proc p = Jar.startAs(launcher, app, env, "check")) {
            exit = p.waitFor(90);
            Thread.sleep(50);
            output = p.output();
        }
        assertEquals(0, exit, "the build and the micro work in the build's root:\n" + output);
        Path stage = app.resolve(".micros/build/a/app");
        assertEquals("built\n", Files.readString(stage.resolve("built.txt")), output);
        for (int i = 0; i < 4; i++) {
            String leak = Files.readString(stage.resolve("leak" + i + ".txt"));
            assertFalse(leak.contains("neighbour-secret"), "a build step read a file of the machine:\n" + leak);
            assertTrue(leak.contains("No such file or directory"), "not even there for the build:\n" + leak);
        }
        for (String d : List.of("-home", "-srv")) {
            String list = Files.readString(stage.resolve("list" + d + ".txt"));
            assertTrue(list.contains("No such file or directory"), d + " was listed:\n" + list);
        }
        String optList = Files.readString(stage.resolve("list-opt.txt"));
        assertFalse(optList.contains(unique), "/opt was listed:\n" + optList);
        if (!toolsUnder(Path.of("/opt"))) assertTrue(optList.contains("No such file or directory"), "/opt was listed:\n" + optList);
        // every mount it can reach is read-only but /tmp and the build folder's stage, virtualenv and home (where
        // the host stacks two mounts at one place, the later covers the earlier whole: only it can be reached)
        Map<String, String> reachable = new java.util.LinkedHashMap<>();
        for (String m : Files.readAllLines(stage.resolve("mounts.txt"))) reachable.put(m.split(" ")[1], m.split(" ")[3]);
        Path build = app.resolve(".micros/build/a").toRealPath();
        List<String> writable = List.of("/tmp", build.resolve("app").toString(), build.resolve("venv").toString(), build.resolve("home").toString());
        assertTrue(reachable.containsKey(build.resolve("app").toString()), "the stage is a mount of its own: " + reachable.keySet());
        reachable.forEach((at, options) -> assertEquals(!writable.contains(at), List.of(options.split(",")).contains("ro"), at + " is mounted " + options));
        // ps shows the step's pid 1 as the script's file and its arguments, not the script's text
        List<String> pid1 = List.of(Files.readString(stage.resolve("pid1.txt")).split("\0"));
        assertEquals("/bin/sh", pid1.get(0), String.join(" ", pid1));
        assertTrue(pid1.get(1).endsWith("/micros-build") && pid1.size() < 12, "pid 1 of a step: " + String.join(" ", pid1));
        // /var holds the way to the build folder, and nothing else of the host's /var
        assertEquals(List.of(".", "..", "tmp"), Files.readString(stage.resolve("list-var.txt")).lines().toList());
        assertEquals(List.of(".", "..", app.getFileName().toString()), Files.readString(stage.resolve("list-var-tmp.txt")).lines().toList());
    }

    /** Whether a build tool on PATH lives below {@code dir} (then its installation is in the build's root). */
    private static boolean toolsUnder(Path dir) {
        for (String tool : List.of("node", "npm", "npx", "python3", "python", "pip", "pip3")) {
            for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
                Path f = Path.of(p.isEmpty() ? "." : p, tool);
                try {
                    if (Files.isExecutable(f) && (f.toRealPath().startsWith(dir) || f.startsWith(dir))) return true;
                } catch (java.io.IOException e) {
                    // not this one
                }
            }
        }
        return false;
    }
}
