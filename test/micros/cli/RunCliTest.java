package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Procs;
import micros.support.Jar;
import micros.support.Jar.Proc;
import micros.util.Json;

/** `run` and `check` as users run them: the built jar in its own process. */
class RunCliTest {
    @TempDir
    Path dir;

    private static int port(String banner) {
        Matcher m = Pattern.compile("http://127\\.0\\.0\\.1:([0-9]+)").matcher(banner);
        assertTrue(m.find(), banner);
        return Integer.parseInt(m.group(1));
    }

    private static String ps(long pid) {
        try {
            Process p = new ProcessBuilder("ps", "-o", "pid,ppid,stat,cmd", "-p", Long.toString(pid)).redirectErrorStream(true).start();
            return new String(p.getInputStream().readAllBytes());
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    private void stopsEverything(String signal) throws Exception {
        Apps.require("node", "python3");
        Path app = Apps.copy("routing", dir);
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public")) {
            int port = port(p.await("is listening on", 20));
            p.await("Press Ctrl-C to stop.", 5);
            List<Long> pids = new ArrayList<>();
            for (String path : List.of("/api/x", "/v2", "/api/v2/y", "/apix/z"))
                if (!path.equals("/v2")) pids.add((Long) Json.object(Http.get(port, path).text()).get("pid"));
            assertEquals(200, Http.get(port, "/legacy/a").status());
            p.signal(signal);
            int code = p.waitFor(20);
            assertEquals(signal.equals("INT") ? 130 : 143, code, p.output());
            assertTrue(p.output().contains("stopping: sending SIGTERM to all micros"), p.output());
            assertTrue(p.output().contains("stopped"), p.output());
            for (long pid : pids) assertFalse(Procs.alive(pid), () -> "micro pid " + pid + " outlived micros: " + ps(pid));
            assertFalse(p.output().contains("Exception"), p.output());
            assertFalse(Files.exists(app.resolve(".micros/run.properties")), "the run file is removed");
        }
    }

    /**
     * A CI job stops the app as soon as it answers: a SIGTERM while the banner is still being
     * written stops it too, removing the run's cgroups (the hook used to be set after the banner,
     * so such a signal ended the JVM with its groups and a build's leftovers still there).
     */
    @Test
    void aSignalAsSoonAsTheAppListensStillStopsEverything() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("routing", dir);
        for (int round = 0; round < 5; round++) {
            try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public")) {
                p.await("is listening on", 20);
                p.signal("TERM");
                assertEquals(143, p.waitFor(20), p.output());
                List<Path> left = Procs.cgroupsOf(p.process.pid());
                for (int i = 0; i < 100 && !left.isEmpty(); i++) {
                    Thread.sleep(50);
                    left = Procs.cgroupsOf(p.process.pid());
                }
                assertEquals(List.of(), left, "round " + round + ":\n" + p.output());
                assertFalse(Files.exists(app.resolve(".micros/run.properties")), "the run file is removed");
            }
        }
    }

    @Test
    void sigtermStopsEveryMicro() throws Exception {
        stopsEverything("TERM");
    }

    @Test
    void ctrlCStopsEveryMicro() throws Exception {
        stopsEverything("INT");
    }

    /** The owner token and API keys can stay off the command line (readable in /proc/PID/cmdline by everyone). */
    @Test
    void secretsFromTheEnvironmentOrAFile() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("auth", dir.resolve("app"));
        Path keys = dir.resolve("keys.txt");
        Files.writeString(keys, "# API keys\nkey-from-file-0001\nkey-from-file-0002\n");
        String owner = "owner-from-env-0123456789";
        try (Proc p = Jar.start(app, Map.of("MICROS_OWNER_TOKEN", owner), "run", "--port", "0", "--api-key-file", keys.toString())) {
            int port = port(p.await("is listening on", 20));
            p.await("Press Ctrl-C to stop.", 5);
            // given secrets are named by where they are, never printed (issue 24)
            assertFalse(p.output().contains(owner) || p.output().contains("key-from-file"), p.output());
            assertTrue(p.output().contains("log in: http://127.0.0.1:" + port + "/?space_token=TOKEN (TOKEN: $MICROS_OWNER_TOKEN)"), p.output());
            assertTrue(p.output().contains("dashboard: http://127.0.0.1:" + port + "/__micros/ (once logged in)"), p.output());
            assertTrue(p.output().contains("API keys (X-Space-App-Key, for micros with the api_keys preset): the lines of " + keys), p.output());
            String cmdline = Files.readString(Path.of("/proc/" + p.process.pid() + "/cmdline"));
            assertFalse(cmdline.contains(owner) || cmdline.contains("key-from-file"), cmdline);
            assertEquals(302, Http.get(port, "/?space_token=" + owner).status());
            assertEquals(401, Http.get(port, "/?space_token=" + Apps.OWNER).status());
            Http.Response keyed = Http.send(port, "GET /api/x HTTP/1.1\r\nHost: x\r\nX-Space-App-Key: key-from-file-0002\r\nConnection: close\r\n\r\n", null);
            assertEquals(200, keyed.status(), keyed.text());
            Jar.Result trigger = Jar.run(app, Map.of(), "trigger", "tick"); // finds the token in .micros/run.properties
            assertEquals(0, trigger.exit(), trigger.all());
        }
        Files.writeString(dir.resolve("short"), "short\n");
        Jar.Result bad = Jar.run(app, Map.of(), "run", "--port", "0", "--owner-token-file", dir.resolve("short").toString());
        assertEquals(2, bad.exit(), bad.all());
        assertTrue(bad.all().contains("--owner-token-file: use at least 8 characters"), bad.all());
        Jar.Result missing = Jar.run(app, Map.of(), "run", "--port", "0", "--api-key-file", dir.resolve("nope").toString());
        assertEquals(2, missing.exit(), missing.all());
        assertTrue(missing.all().contains("--api-key-file " + dir.resolve("nope") + ": cannot read it (no such file)"), missing.all());
        Jar.Result noToken = Jar.run(app, Map.of(), "run", "--port", "0", "--owner-token-file", "/nonexist");
        assertEquals(2, noToken.exit(), noToken.all());
        assertTrue(noToken.all().contains("micros: --owner-token-file /nonexist: cannot read it (no such file)"), noToken.all());
    }

    /** A random owner token and API key are printed for the person at a text terminal; a JSON log (kept, shipped) shows neither. */
    @Test
    void randomSecretsAreShownInATextLogAndOnlyWhereTheyAreInAJsonLog() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("auth", dir.resolve("app"));
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0")) {
            int port = port(p.await("is listening on", 20));
            p.await("Press Ctrl-C to stop.", 5);
            String token = Files.readString(app.resolve(".micros/run.properties")).replaceAll("(?s).*owner_token=([A-Za-z0-9]+).*", "$1");
            assertTrue(p.output().contains("log in: http://127.0.0.1:" + port + "/?space_token=" + token + "\n"), p.output());
            assertTrue(p.output().matches("(?s).*\\nAPI key \\(X-Space-App-Key, for micros with the api_keys preset\\): [A-Za-z0-9]{40}\\n.*"), p.output());
        }
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--log-format", "json")) {
            int port = port(p.await("is listening on", 20));
            p.await("Press Ctrl-C to stop.", 5);
            Path runFile = app.resolve(".micros/run.properties");
            String token = Files.readString(runFile).replaceAll("(?s).*owner_token=([A-Za-z0-9]+).*", "$1");
            String out = p.output();
            assertFalse(out.contains(token) || out.contains("[redacted]"), "no token, and no useless redacted link: " + out);
            assertTrue(out.contains("log in: http://127.0.0.1:" + port + "/?space_token=TOKEN (TOKEN: owner_token in " + runFile), out);
            assertTrue(out.contains("API key (X-Space-App-Key, for micros with the api_keys preset): random for this run and shown only in a text log"), out);
            assertEquals(302, Http.get(port, "/?space_token=" + token).status(), "the token where the log says it is logs the owner in");
        }
    }

    /** A token given on the command line is not printed back into the log either. */
    @Test
    void aTokenOnTheCommandLineIsNotPrintedBack() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("auth", dir.resolve("app"));
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--owner-token", "owner-on-the-command-line", "--api-key", "key-on-the-command-line")) {
            int port = port(p.await("is listening on", 20));
            p.await("Press Ctrl-C to stop.", 5);
            assertFalse(p.output().contains("on-the-command-line"), p.output());
            assertTrue(p.output().contains("log in: http://127.0.0.1:" + port + "/?space_token=TOKEN (TOKEN: the --owner-token value)"), p.output());
            assertTrue(p.output().contains("API key (X-Space-App-Key, for micros with the api_keys preset): the --api-key value\n"), p.output());
        }
    }

    @Test
    void bannerListsEachMicroAndHowItStarts() throws Exception {
        Apps.require("node");
        try (Proc p = Jar.start(Apps.copy("routing", dir), Map.of(), "--port", "0")) {
            p.await("Press Ctrl-C to stop.", 20);
            String out = p.output();
            assertTrue(out.matches("(?s).*micros .*: routing is listening on http://127\\.0\\.0\\.1:[0-9]+.*"), out);
            assertTrue(out.matches("(?s).*\\n  web +/ +static +files in \\. \\(served by micros\\)\\n.*"), out);
            assertTrue(out.matches("(?s).*\\n  v2 +/api/v2 +nodejs16 +node echo\\.js\\n.*"), out);
            assertTrue(out.matches("(?s).*\\n  legacy +/legacy +nodejs16 +node: index\\.js exporting the app \\(Space's default\\)\\n.*"), out);
        }
    }

    /** The port is known to be taken before the build step: no install runs (minutes, with pip) for a run that cannot listen. */
    @Test
    void aPortInUseIsOneSentenceAndExitOneBeforeAnyInstall() throws Exception {
        Apps.require("node");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Jar.Result r = Jar.run(Apps.copy("routing", dir), Map.of(), "--port", Integer.toString(taken.getLocalPort()));
            assertEquals(1, r.exit(), r.all());
            assertTrue(r.out().contains("micros: port " + taken.getLocalPort() + " on 127.0.0.1 is already in use: stop the program using it, or pass --port N"), r.all());
            assertFalse(r.all().contains("Exception"), r.all());
            assertFalse(r.out().contains("runs on Node.js"), "the build step did not run: " + r.all());
        }
    }

    /** A --host that is no address, or not this machine's, is a configuration problem said in one sentence. */
    @Test
    void aHostThatIsNotOneOfThisMachinesAddressesIsOneSentenceAndExitTwo() throws Exception {
        Path app = Apps.copy("routing", dir);
        for (String host : List.of("999.1.1.1", "nosuch.invalid")) {
            Jar.Result r = Jar.run(app, Map.of(), "run", "--host", host, "--port", "0");
            assertEquals(2, r.exit(), r.all());
            assertTrue(r.out().contains("micros: --host " + host + ": not an IP address or a host name that resolves"), r.all());
            assertFalse(r.all().contains("internal error") || r.all().contains("Exception"), r.all());
        }
        Jar.Result remote = Jar.run(app, Map.of(), "check", "--host", "192.0.2.1"); // TEST-NET-1: never this machine's
        assertEquals(2, remote.exit(), remote.all());
        assertTrue(remote.out().contains("--host 192.0.2.1: not an address of this machine"), remote.all());
    }

    @Test
    void aMissingSrcFolderIsOneSentenceAndExitTwo() throws Exception {
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: nope\n    engine: nodejs16\n    run: node x.js\n");
        Jar.Result r = Jar.run(dir, Map.of(), "run", "--port", "0");
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.out().contains("micros: micro 'api': its src folder 'nope' does not exist"), r.all());
        assertFalse(r.all().contains("Exception"), r.all());
    }

    @Test
    void aMissingRuntimeIsOneSentenceAndExitOne() throws Exception {
        Path app = Apps.copy("routing", dir);
        Jar.Result r = Jar.run(app, Map.of("PATH", "/nonexistent"), "run", "--port", "0");
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains("micros: micro 'legacy' needs node, which is not on PATH: install Node.js"), r.all());
    }

    @Test
    void anInvalidSpacefileStopsRunWithExitTwo() throws Exception {
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: .\n    engine: ruby\n");
        Jar.Result r = Jar.run(dir, Map.of(), "run");
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.out().contains("Spacefile:5:13: micros[0].engine: 'ruby' is not a supported engine"), r.all());
    }

    @Test
    void checkPassesOnAHealthyAppAndFailsOnAWrongExpectation() throws Exception {
        Apps.require("node", "python3");
        Path app = Apps.copy("routing", dir);
        Jar.Result ok = Jar.run(app, Map.of(), "check");
        assertEquals(0, ok.exit(), ok.all());
        assertTrue(ok.out().contains("all 5 checks passed"), ok.all());
        assertTrue(ok.out().matches("(?s).*api +GET /api +below 500 +200 +1 +[0-9]+ ms +ok.*"), ok.all());
        Jar.Result bad = Jar.run(app, Map.of(), "check", "--expect", "GET /api/status?code=500 2xx", "--expect", "/legacy 200");
        assertEquals(1, bad.exit(), bad.all());
        assertTrue(bad.out().contains("fail (expected 2xx)"), bad.all());
        assertTrue(bad.out().contains("1 of 2 checks failed"), bad.all());
    }
}
