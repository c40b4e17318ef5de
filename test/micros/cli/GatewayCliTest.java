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
            try (Jar.Proc p = Jar.start(app, Map.of(), args.toArray(String[]::new))) {
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
}
