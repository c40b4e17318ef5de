package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;
import micros.util.Json;

/** Space's app actions with the providing micro as the primary (path "/"), as most apps have it. */
class AppActionsTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static final String OWNER = "Cookie: space_token=" + Apps.OWNER + "\r\n";

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        app = Apps.start(Apps.copy("appactions", dir), Apps.Options.defaults().isPublic(false));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Response send(String method, String target, String body) throws Exception {
        byte[] b = body == null ? null : body.getBytes();
        return Http.send(app.port(), method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + OWNER
                + (b == null ? "" : "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n") + "Connection: close\r\n\r\n", b);
    }

    @Test
    void thePrimaryMicrosActionsAreListedAndRun() throws Exception {
        Response list = send("GET", "/__space/actions", null);
        assertEquals(200, list.status(), list.text());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> actions = (List<Map<String, Object>>) Json.object(list.text()).get("actions");
        assertEquals(1, actions.size(), list.text());
        assertEquals("add", actions.get(0).get("name"));
        assertEquals("main", actions.get(0).get("micro"));
        assertEquals("/actions/add", actions.get(0).get("path"));

        Response run = send("POST", "/__space/actions/add", "{\"a\":2,\"b\":40}");
        assertEquals(200, run.status(), run.text());
        assertEquals(42L, ((Number) Json.object(run.text()).get("sum")).longValue());

        Response count = send("GET", "/count", null);
        assertTrue(((Number) Json.object(count.text()).get("count")).longValue() >= 3, "list, run and count reached the micro: " + count.text());
    }

    @Test
    void aMicroWhoseListFailsIsLogged() throws Exception {
        assertEquals(200, send("GET", "/__space/actions", null).status());
        assertTrue(app.awaitLog("broken: app actions: GET /__space/actions answered 500"), app::output);
    }

    @Test
    void anUnknownActionIsA404NamingTheKnownOnes() throws Exception {
        Response r = send("POST", "/__space/actions/nope", "{}");
        assertEquals(404, r.status());
        assertTrue(r.text().contains("add"), r.text());
    }
}
