package micros.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.actions.Scheduler;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;
import micros.util.Json;

/**
 * Deta Cloud micros run from their folder (.deta/prog_info, no Spacefile), as real Python and
 * Node processes: HTTP through the wrapped app, Deta Access on (py) and off (js), API keys as
 * X-API-Key, Deta's environment, and app.lib.cron and app.lib.run handlers called through
 * the action call micros' deta library answers.
 */
class ClassicMicroTest {
    @TempDir
    static Path dir;
    static Apps.Running py, js;
    static final String OWNER = "Cookie: space_token=" + Apps.OWNER + "\r\n";

    @BeforeAll
    static void start() throws Exception {
        Apps.require("python3", "node");
        Path fixtures = Apps.copy("classic", dir);
        Apps.Options o = Apps.Options.defaults().isPublic(false).limits(DetaLimits.DEFAULTS).env(Map.of("TOKEN", "t0ken"));
        py = Apps.start(fixtures.resolve("py"), o);
        js = Apps.start(fixtures.resolve("js"), o.env(Map.of()));
    }

    @AfterAll
    static void stop() {
        if (py != null) py.close();
        if (js != null) js.close();
    }

    static Response get(Apps.Running app, String path, String headers) throws Exception {
        return Http.send(app.port(), "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Connection: close\r\n\r\n", null);
    }

    static Response action(Apps.Running app, String event) throws Exception {
        byte[] body = event.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return Http.send(app.port(), "POST /__space/v0/actions HTTP/1.1\r\nHost: localhost\r\n" + OWNER + "Content-Type: application/json\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n", body);
    }

    @Test
    void theFolderIsReadAsItsProgInfoSaid() {
        var app = py.emulator.app();
        assertEquals("python3.7", app.classic().runtime());
        assertEquals("pyclassic", app.primary().name());
        assertEquals("python3.8", app.primary().engine().id()); // Space's nearest engine to Python 3.7
        assertEquals(java.util.List.of("cron"), app.primary().actions().stream().map(a -> a.id()).toList());
        assertTrue(js.emulator.app().primary().isPublic());
    }

    @Test
    void pythonServesHttpAsTheWrappedAppBehindDetaAccess() throws Exception {
        Response anonymous = get(py, "/hello", "");
        assertEquals(401, anonymous.status(), "public: false means the owner only");
        Response owner = get(py, "/hello", OWNER);
        assertEquals(200, owner.status(), owner.text());
        assertEquals("python classic at /hello", owner.text());
    }

    @Test
    void apiKeysComeAsXApiKey() throws Exception {
        Response key = get(py, "/key", "X-API-Key: " + Apps.API_KEY + "\r\n");
        assertEquals(200, key.status(), key.text());
        assertEquals(401, get(py, "/key", "X-API-Key: not-" + Apps.API_KEY + "\r\n").status()); // a wrong key opens nothing
        assertEquals(401, get(py, "/key", "X-Space-App-Key: x" + Apps.API_KEY + "\r\n").status());
    }

    @Test
    void nodeIsPublicWhenDetaAccessWasOff() throws Exception {
        Response r = get(js, "/x", "");
        assertEquals(200, r.status(), r.text());
        assertEquals("node classic at /x", r.text());
    }

    @Test
    void theEnvironmentIsDetaCloudsNotSpaces() throws Exception {
        Map<String, Object> env = Json.object(get(py, "/env", OWNER).text());
        assertEquals("pyp4th", env.get("DETA_PATH"));
        assertEquals("true", env.get("DETA_RUNTIME"));
        assertTrue(String.valueOf(env.get("DETA_PROJECT_KEY")).matches("[a-z0-9]+_[A-Za-z0-9]+"), String.valueOf(env.get("DETA_PROJECT_KEY")));
        assertEquals("t0ken", env.get("TOKEN"));
        assertNull(env.get("MISSING"));
        assertNull(env.get("DETA_SPACE_APP"));
        assertNull(env.get("DETA_API_KEY"));
        Map<String, Object> node = Json.object(get(js, "/env", "").text());
        assertEquals("n0depa", node.get("DETA_PATH"));
        assertEquals("true", node.get("DETA_RUNTIME"));
        assertNull(node.get("DETA_SPACE_APP"));
    }

    @Test
    void theCronRunsTheLibCronHandler() throws Exception {
        Scheduler.Result r = py.emulator.scheduler().fireNow("cron");
        assertEquals(200, r.status(), r.body());
        assertEquals(Map.of("type", "cron"), Json.object(r.body()));
        assertTrue(py.awaitLog("cron handler ran: type=cron"), py.output());
        Scheduler.Result n = js.emulator.scheduler().fireNow("cron");
        assertEquals(200, n.status(), n.body());
        assertEquals(Map.of("type", "cron"), Json.object(n.body()));
        assertTrue(js.awaitLog("cron handler ran: type=cron"), js.output());
    }

    @Test
    void runHandlersGetTheEventAndTheirValueComesBack() throws Exception {
        for (Apps.Running app : new Apps.Running[] {py, js}) {
            Response welcome = action(app, "{\"event\":{\"id\":\"\",\"trigger\":\"run\",\"action\":\"\",\"body\":\"{}\"}}");
            assertEquals(200, welcome.status(), welcome.text());
            assertEquals("Welcome to Deta!", Json.parse(welcome.text()));
            Response hello = action(app, "{\"event\":{\"id\":\"hello\",\"trigger\":\"run\",\"action\":\"hello\",\"body\":\"{\\\"name\\\":\\\"Jimmy\\\"}\"}}");
            assertEquals(200, hello.status(), hello.text());
            Map<String, Object> v = Json.object(hello.text());
            assertEquals("hello Jimmy!", v.get("message"));
            assertEquals("run", v.get("type"));
            assertEquals("hello", v.get("action"));
            Response boom = action(app, "{\"event\":{\"id\":\"boom\",\"trigger\":\"run\",\"action\":\"boom\",\"body\":\"{}\"}}");
            assertEquals(500, boom.status(), boom.text());
            assertEquals("the handler failed on purpose", Json.object(boom.text()).get("errorMessage"));
            Response none = action(app, "{\"event\":{\"id\":\"nope\",\"trigger\":\"run\",\"action\":\"nope\",\"body\":\"{}\"}}");
            assertEquals(404, none.status(), none.text());
            assertTrue(none.text().contains("no app.lib.run handler for the action"), none.text());
        }
    }

    @Test
    void theDashboardListsTheCronWithItsNextRun() throws Exception {
        Response r = get(py, "/__micros/api/state", OWNER);
        assertEquals(200, r.status(), r.text());
        assertTrue(r.text().contains("\"id\":\"cron\"") && r.text().contains("0/15 * * * ? *") && r.text().contains("\"nextRun\":\"20"), r.text());
    }

    @Test
    void theStartUpLinesSayItIsADetaCloudMicroAndWhatProgInfoSaid() {
        String line = ClassicBanner.describe(py.emulator.app());
        assertTrue(line.startsWith("Deta Cloud micro (.deta/prog_info, no Spacefile)"), line);
        for (String said : new String[] {"runtime python3.7", "engine python3.8", "Deta Access on", "cron '0/15 * * * ? *'", "envs TOKEN, MISSING", "DETA_PATH pyp4th"})
            assertTrue(line.contains(said), said + " in " + line);
        assertTrue(py.output().contains("Deta ran python3.7"), py.output()); // which version runs, and which Deta ran
        assertTrue(js.output().contains("Deta ran nodejs14.x"), js.output());
    }

    @Test
    void filesAreReadOnlyButTmp() throws Exception {
        Response r = get(py, "/tmp", OWNER);
        assertEquals(200, r.status(), r.text());
        org.junit.jupiter.api.Assumptions.assumeTrue(py.emulator.runtime().sandbox().on(), "the sandbox is off here");
        assertEquals("tmp ok; code folder: Read-only file system", r.text());
    }
}
