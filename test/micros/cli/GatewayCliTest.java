package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.spacefile.SpacefileReader;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.RemoteMicros;
import micros.util.Json;

/** `java -jar micros.jar gateway`: its --micro checks, its start-up lines, and a request through it to a remote micro. */
class GatewayCliTest {
    @TempDir
    Path dir;

    @Test
    void everyProcessMicroNeedsAMicroUrlAndUnknownNamesAreRefused() throws Exception {
        Path app = Apps.copy("routing", dir);
        Jar.Result none = Jar.run(app, "gateway");
        assertEquals(2, none.exit(), none.all());
        assertTrue(none.err().contains("no --micro NAME=URL for api, v2, apix, legacy: every process micro needs the URL it runs at"), none.all());
        Jar.Result unknown = Jar.run(app, "gateway", "--micro", "nope=http://localhost:1");
        assertEquals(2, unknown.exit(), unknown.all());
        assertTrue(unknown.err().contains("the Spacefile has no micro 'nope'"), unknown.all());
        Jar.Result web = Jar.run(app, "gateway", "--micro", "web=http://localhost:1");
        assertEquals(2, web.exit(), web.all());
        assertTrue(web.err().contains("the gateway serves its files itself"), web.all());
        Jar.Result bad = Jar.run(app, "gateway", "--micro", "api=https://x", "--micro", "v2=http://x", "--micro", "apix=http://x", "--micro", "legacy=http://x");
        assertEquals(2, bad.exit(), bad.all());
        assertTrue(bad.err().contains("--micro api=https://x: write http://host[:port][/base]"), bad.all());
        assertTrue(!bad.all().contains("Exception"), bad.all());
    }

    @Test
    void theJarForwardsToRemoteMicrosAndSaysThePlatformLimitsThem() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("routing", dir);
        try (RemoteMicros remote = RemoteMicros.start(SpacefileReader.read(app.resolve("Spacefile")).app(), Map.of())) {
            List<String> args = new ArrayList<>(List.of("gateway", "--port", "0", "--public"));
            remote.remotes().forEach((name, r) -> {
                args.add("--micro");
                args.add(name + "=" + r.url() + (name.equals("v2") ? "/base" : ""));
            });
            try (Jar.Proc p = Jar.start(app, Map.of("MICROS_GATEWAY_KEY", remote.key), args.toArray(String[]::new))) {
                p.await("Press Ctrl-C to stop.", 20);
                String out = p.output();
                assertTrue(out.contains("limits: timeout 20s; payload 5.5 MiB (by micros); memory 512 MiB and processes: enforced by the platform"), out);
                assertTrue(out.contains("sandbox: enforced by the platform"), out);
                assertTrue(out.contains("  v2      /api/v2 -> http://127.0.0.1:"), out);
                Matcher m = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(out);
                assertTrue(m.find(), out);
                int port = Integer.parseInt(m.group(1));
                Map<String, Object> echo = Json.object(Http.get(port, "/api/v2/x?q=1").text());
                assertEquals("v2", echo.get("micro"));
                assertEquals("/base/x?q=1", echo.get("url"), "the URL's path goes before the micro's own path");
                assertEquals(200, Http.get(port, "/").status(), "the static micro is served from its folder");
                String dashboard = Http.get(port, "/__micros/api/state").text();
                assertTrue(dashboard.contains("\"state\":\"remote\"") && dashboard.contains("enforced by the platform"), dashboard);
            }
        }
    }
    /** A micro that runs elsewhere is neither built nor described here: its line says where it runs. */
    @Test
    void theStartUpLinesSayWhereEachRemoteMicroRuns() throws Exception {
        Path app = Apps.copy("routing", dir);
        List<String> args = new ArrayList<>(List.of("gateway", "--port", "0"));
        for (String micro : List.of("api", "v2", "apix", "legacy")) args.addAll(List.of("--micro", micro + "=http://127.0.0.1:1/" + micro));
        try (Jar.Proc p = Jar.start(app, Map.of(), args.toArray(String[]::new))) {
            p.await("Press Ctrl-C to stop.", 20);
            String out = p.output();
            for (String micro : List.of("api", "v2", "apix", "legacy"))
                assertTrue(Pattern.compile("(?m)^\\S+ " + micro + " +\\| runs at http://127.0.0.1:1/" + micro + ": built, started and limited where it runs, not here$")
                        .matcher(out).find(), out);
            assertFalse(out.contains("runs on Node.js") || out.contains("Space ran"), "no local interpreter for micros that run elsewhere:\n" + out);
        }
    }

    /** The export's front door logs to `kubectl logs`: the owner token and API keys it was given are named, never printed. */
    @Test
    void theStartUpLinesNameTheGivenSecretsWithoutPrintingThem() throws Exception {
        Path app = Apps.copy("auth", dir);
        List<String> args = new ArrayList<>(List.of("gateway", "--port", "0"));
        for (String micro : List.of("api", "priv", "open", "tools")) args.addAll(List.of("--micro", micro + "=http://127.0.0.1:1"));
        String owner = "owner-token-from-the-secret-0123", keys = "key-from-the-secret-1,key-from-the-secret-2";
        for (String format : List.of("text", "json")) {
            List<String> withFormat = new ArrayList<>(args);
            withFormat.addAll(List.of("--log-format", format));
            try (Jar.Proc p = Jar.start(app, Map.of("MICROS_OWNER_TOKEN", owner, "MICROS_API_KEYS", keys), withFormat.toArray(String[]::new))) {
                p.await("Press Ctrl-C to stop.", 20);
                String out = p.output();
                assertFalse(out.contains(owner) || out.contains("key-from-the-secret") || out.contains("[redacted]"), out);
                Matcher m = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(out);
                assertTrue(m.find(), out);
                assertTrue(out.contains("log in: http://127.0.0.1:" + m.group(1) + "/?space_token=TOKEN (TOKEN: $MICROS_OWNER_TOKEN)"), out);
                assertTrue(out.contains("API keys (X-Space-App-Key, for micros with the api_keys preset): $MICROS_API_KEYS"), out);
                assertEquals(302, Http.get(Integer.parseInt(m.group(1)), "/?space_token=" + owner).status(), "the token logs in");
            }
        }
        Path file = dir.resolve("owner-token");
        java.nio.file.Files.writeString(file, owner + "\n");
        args.addAll(List.of("--owner-token-file", file.toString()));
        try (Jar.Proc p = Jar.start(app, Map.of(), args.toArray(String[]::new))) {
            p.await("Press Ctrl-C to stop.", 20);
            assertFalse(p.output().contains(owner), p.output());
            assertTrue(p.output().contains("/?space_token=TOKEN (TOKEN: the contents of " + file + ")"), p.output());
        }
    }

    /**
     * MICROS_GATEWAY_KEY: every forwarded request carries it in X-Micros-Gateway-Key, in place of
     * any the client sent, and the micros' guard (in front of each remote micro, as the export
     * starts them) lets it in and takes it out; without it the guard answers 403 and the micro
     * never sees the request. The key is never printed, and one the guard would refuse is
     * refused here too. /__micros/health answers anyone, for the platform's probes.
     */
    @Test
    void theGatewayKeyGoesWithEveryRequestAndNoClientCanForgeIt() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("routing", dir);
        try (RemoteMicros remote = RemoteMicros.start(SpacefileReader.read(app.resolve("Spacefile")).app(), Map.of())) {
            List<String> args = new ArrayList<>(List.of("gateway", "--port", "0"));
            remote.remotes().forEach((name, r) -> args.addAll(List.of("--micro", name + "=http://127.0.0.1:" + r.port())));
            Jar.Result bad = Jar.run(app, Map.of("MICROS_GATEWAY_KEY", "short"), args.toArray(String[]::new));
            assertEquals(2, bad.exit(), bad.all());
            assertTrue(bad.all().contains("MICROS_GATEWAY_KEY must be 16 to 256 printable ASCII characters"), bad.all());
            int micro = remote.remotes().get("api").port();
            for (String forged : List.of("", "X-Micros-Gateway-Key: forged-by-the-client-0000\r\n", "X-Micros-Gateway-Key: " + remote.key + "x\r\n")) {
                Http.Response direct = Http.send(micro, "GET /api/h HTTP/1.1\r\nHost: x\r\n" + forged + "Connection: close\r\n\r\n", null);
                assertEquals(403, direct.status(), "a request that did not come through the gateway: " + forged);
            }
            try (Jar.Proc p = Jar.start(app, Map.of("MICROS_GATEWAY_KEY", remote.key, "MICROS_OWNER_TOKEN", Apps.OWNER), args.toArray(String[]::new))) {
                p.await("Press Ctrl-C to stop.", 20);
                String out = p.output();
                assertFalse(out.contains(remote.key), out);
                assertTrue(out.contains("door: every request to a micro carries X-Micros-Gateway-Key (MICROS_GATEWAY_KEY)"), out);
                Matcher m = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(out);
                assertTrue(m.find(), out);
                int port = Integer.parseInt(m.group(1));
                Http.Response r = Http.send(port, "GET /api/h HTTP/1.1\r\nHost: x\r\nX-Micros-Gateway-Key: forged-by-the-client-0000\r\n"
                        + "x-micros-gateway-key: another-forged-one-000000\r\nCookie: space_token=" + Apps.OWNER + "\r\nConnection: close\r\n\r\n", null);
                assertEquals(200, r.status(), "the guard let in the gateway's one key, and no client's: " + r.text());
                @SuppressWarnings("unchecked")
                Map<String, Object> headers = (Map<String, Object>) Json.object(r.text()).get("headers");
                assertFalse(headers.containsKey("x-micros-gateway-key"), "the guard takes the key out: " + headers);
                Http.Response health = Http.get(port, "/__micros/health");
                assertEquals(200, health.status(), "no login needed: the platform's probe");
                assertEquals("ok\n", health.text());
                assertEquals(401, Http.get(port, "/__micros/").status(), "the dashboard still is the owner's");
            }
            try (Jar.Proc p = Jar.start(app, Map.of("MICROS_OWNER_TOKEN", Apps.OWNER), args.toArray(String[]::new))) {
                p.await("Press Ctrl-C to stop.", 20);
                assertTrue(p.output().contains("door: MICROS_GATEWAY_KEY is not set"), p.output());
                Matcher m = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(p.output());
                assertTrue(m.find(), p.output());
                Http.Response r = Http.send(Integer.parseInt(m.group(1)), "GET /api/h HTTP/1.1\r\nHost: x\r\nCookie: space_token=" + Apps.OWNER
                        + "\r\nConnection: close\r\n\r\n", null);
                assertEquals(403, r.status(), "a gateway without the key is refused like anyone: " + r.text());
            }
        }
    }

    /**
     * In a container the gateway is PID 1. Killed (out of memory, its node lost), it leaves
     * run.properties naming pid 1; started again on the same volume it is PID 1 again and must
     * start, not take itself for the run it replaces. `data export` from another container on
     * that volume (PID 1 there is `sleep`, as in the export's data pod) must run too.
     */
    @Test
    void aGatewayKilledAsPidOneStartsAgainAsPidOneOnTheSameVolume() throws Exception {
        Apps.require("unshare", "nsenter");
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "PID namespaces need root");
        Path app = Apps.copy("routing", dir);
        List<String> args = new ArrayList<>(List.of("gateway", "--port", "0"));
        for (var m : SpacefileReader.read(app.resolve("Spacefile")).app().micros())
            if (!m.engine().staticLike()) args.addAll(List.of("--micro", m.name() + "=http://127.0.0.1:1"));
        List<String> asPidOne = List.of("unshare", "--pid", "--fork", "--kill-child", "--mount-proc"); // its own /proc, as in a container
        Path state = app.resolve(".micros");
        for (int start = 0; start < 2; start++) {
            try (Jar.Proc p = Jar.startAs(asPidOne, app, Map.of("MICROS_OWNER_TOKEN", Apps.OWNER), args.toArray(String[]::new))) {
                p.await("Press Ctrl-C to stop.", 30);
                if (start == 1) assertTrue(p.output().contains("cleaned up after a run that did not stop cleanly (pid 1)"), p.output());
                String run = java.nio.file.Files.readString(state.resolve("run.properties"));
                assertTrue(run.contains("pid=1\n"), "the gateway is PID 1: " + run);
                long gateway = p.process.toHandle().children().findFirst().orElseThrow().pid();
                new ProcessBuilder("kill", "-KILL", Long.toString(gateway)).start().waitFor();
                p.waitFor(20);
            }
        }
        List<String> pod = new ArrayList<>(asPidOne);
        pod.addAll(List.of("sleep", "120"));
        ProcessBuilder pb = new ProcessBuilder(pod);
        Process dataPod = pb.start();
        try {
            long sleep = 0;
            for (int i = 0; i < 500 && sleep == 0; i++) {
                sleep = dataPod.toHandle().children().findFirst().map(ProcessHandle::pid).orElse(0L);
                if (sleep == 0) Thread.sleep(10);
            }
            List<String> export = new ArrayList<>(List.of("nsenter", "-t", Long.toString(sleep), "-p", "-m")); // kubectl exec into the data pod
            export.addAll(Jar.command("data", "export", app.toString(), dir.resolve("backup.zip").toString()));
            Process e = new ProcessBuilder(export).redirectErrorStream(true).start();
            String out = new String(e.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, e.waitFor(), out);
            assertTrue(out.contains("exported"), out);
        } finally {
            dataPod.destroyForcibly();
        }
    }
}
