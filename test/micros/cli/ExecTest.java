package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Jar;

/** `exec -- COMMAND`: the app for the length of a real command, which gets the app's URL, the owner's token and the app's data. */
class ExecTest {
    @TempDir
    Path dir;

    /** A test script: a request as the owner, an item written to and read from Base over HTTPS (trusting SSL_CERT_FILE), then exit 3. */
    private static final String SCRIPT = """
            import json, os, ssl, urllib.request
            url, token = os.environ['MICROS_URL'], os.environ['MICROS_OWNER_TOKEN']
            r = urllib.request.urlopen(urllib.request.Request(url + '/count', headers={'Cookie': 'space_token=' + token}))
            print('status', r.status)
            key = os.environ['DETA_PROJECT_KEY']
            base = 'https://' + os.environ['DETA_BASE_HOST'] + '/v1/' + key.split('_')[0] + '/people/items'
            tls = ssl.create_default_context()  # SSL_CERT_FILE: the system's CAs and micros'
            put = urllib.request.Request(base, method='PUT', data=json.dumps({'items': [{'key': 'ada', 'name': 'Ada'}]}).encode(),
                                         headers={'X-API-Key': key, 'Content-Type': 'application/json'})
            urllib.request.urlopen(put, context=tls)
            got = json.load(urllib.request.urlopen(urllib.request.Request(base + '/ada', headers={'X-API-Key': key}), context=tls))
            print('from Base:', got['name'])
            open(os.environ['MARKER'], 'w').write(url)
            raise SystemExit(3)
            """;

    @Test
    void theCommandRunsAgainstTheAppAndItsStatusIsExecs() throws Exception {
        Apps.require("node", "python3");
        Path app = Apps.copy("appactions", dir);
        Path marker = dir.resolve("marker");
        Jar.Result r = Jar.run(app, java.util.Map.of("MARKER", marker.toString()), "exec", "--", "python3", "-c", SCRIPT);
        assertEquals(3, r.exit(), "exec ends with the command's status: " + r.all());
        assertTrue(r.out().contains("status 200"), r.all());
        assertTrue(r.out().contains("from Base: Ada"), r.all());
        assertTrue(r.out().contains("python3 exited with code 3; stopping the app"), r.all());
        String url = Files.readString(marker);
        assertTrue(url.matches("http://127\\.0\\.0\\.1:[0-9]+"), url);
        assertFalse(Files.exists(app.resolve(".micros/run.properties")), "the app was stopped");
        HttpClient client = HttpClient.newHttpClient();
        try {
            client.send(HttpRequest.newBuilder(URI.create(url + "/count")).build(), HttpResponse.BodyHandlers.discarding());
            throw new AssertionError("the app still answers at " + url);
        } catch (ConnectException expected) {
            // stopped
        }
    }

    /** stdout is the command's: micros' own lines go to stderr. */
    @Test
    void theCommandsOutputIsItsOwn() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("appactions", dir);
        Jar.Result r = Jar.run(app, "exec", "--port", "0", "--", "sh", "-c", "echo only this; exit 0");
        assertEquals(0, r.exit(), r.all());
        assertEquals("only this\n", r.out());
        assertTrue(r.err().contains("is listening on http://127.0.0.1:"), r.err());
    }

    @Test
    void anAppThatDoesNotStartIsExitTwoAndTheCommandDoesNotRun() throws Exception {
        Path marker = dir.resolve("marker");
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: .\n    engine: ruby\n");
        Jar.Result invalid = Jar.run(dir, "exec", "--", "touch", marker.toString());
        assertEquals(2, invalid.exit(), invalid.all());
        assertTrue(invalid.all().contains("'ruby' is not a supported engine"), invalid.all());

        Path site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), "hello\n");
        Files.writeString(site.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: .\n    engine: static\n    serve: .\n"
                + "    commands:\n      - exit 7\n");
        Jar.Result build = Jar.run(site, "exec", "--build", "--", "touch", marker.toString());
        assertEquals(2, build.exit(), build.all());
        assertTrue(build.err().contains("micros: the app did not start, so the command was not run: micro 'site': build command 'exit 7' failed with exit code 7"), build.all());
        assertFalse(Files.exists(marker), "the command never ran");

        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Jar.Result port = Jar.run(site, "exec", "--port", Integer.toString(taken.getLocalPort()), "--", "touch", marker.toString());
            assertEquals(2, port.exit(), "a start failure is 2, whatever its cause: " + port.all());
            assertTrue(port.err().contains("the app did not start, so the command was not run: port " + taken.getLocalPort()), port.all());
        }
        assertFalse(Files.exists(marker), "the command never ran");

        Jar.Result none = Jar.run(site, "exec");
        assertEquals(2, none.exit(), none.all());
        assertTrue(none.err().contains("give the command to run after --"), none.all());
    }

    /** SIGTERM to micros ends the command, then the app: nothing outlives exec. */
    @Test
    void sigtermStopsTheCommandAndTheApp() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("appactions", dir);
        Path pidFile = dir.resolve("pid");
        try (Jar.Proc p = Jar.start(app, java.util.Map.of(), "exec", "--", "sh", "-c", "echo $$ > " + pidFile + "; exec sleep 120")) {
            p.await("running the command", 30);
            long until = System.nanoTime() + 10_000_000_000L;
            while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
                if (System.nanoTime() > until) throw new AssertionError("the command did not start:\n" + p.output());
                Thread.sleep(20);
            }
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
            assertFalse(micros.support.Procs.alive(pid), "the command outlived exec");
            assertFalse(Files.exists(app.resolve(".micros/run.properties")), "the app was stopped");
        }
    }

    @Test
    void aCommandThatCannotRunIs127() throws Exception {
        Path site = Files.createDirectories(dir.resolve("site"));
        Files.writeString(site.resolve("index.html"), "hello\n");
        Files.writeString(site.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: .\n    engine: static\n    serve: .\n");
        Jar.Result r = Jar.run(site, "exec", "--", "no-such-program-here", "--help");
        assertEquals(127, r.exit(), r.all());
        assertTrue(r.err().contains("micros: cannot run no-such-program-here"), r.all());
        assertFalse(r.all().contains("Exception"), r.all());
        assertFalse(Files.exists(site.resolve(".micros/run.properties")), "the app was stopped");
    }
}
