package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
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

/** The dashboard's data: state JSON, the server-rendered page, and its owner-only access. */
class DashboardTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static final String OWNER = "Cookie: space_token=" + Apps.OWNER + "\r\n";

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        app = Apps.start(Apps.copy("faults", dir), Apps.Options.defaults().isPublic(false).limits(Duration.ofSeconds(2), 256L << 20, 256, 1 << 20));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Response get(String target) throws Exception {
        return Http.send(app.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + OWNER + "Connection: close\r\n\r\n", null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> micro(Map<String, Object> state, String name) {
        for (Object m : (List<Object>) state.get("micros")) if (name.equals(((Map<String, Object>) m).get("name"))) return (Map<String, Object>) m;
        throw new AssertionError("no micro " + name + " in " + state);
    }

    @Test
    @SuppressWarnings("unchecked")
    void stateJsonShowsEachMicroWithItsTrafficAndLimits() throws Exception {
        assertEquals(200, get("/good/a").status());
        assertEquals(200, get("/good/b").status());
        assertEquals(504, get("/bad/silent").status());
        Response r = get("/__micros/api/state");
        assertEquals(200, r.status());
        assertEquals("application/json", r.header("content-type"));
        Map<String, Object> state = Json.object(r.text());
        assertEquals("faults", state.get("app"));
        Map<String, Object> good = micro(state, "good");
        assertTrue(List.of("awake", "frozen").contains(good.get("state")), String.valueOf(good.get("state"))); // frozen between requests
        assertEquals("/good", good.get("path"));
        assertEquals("nodejs16", good.get("engine"));
        assertTrue((Long) good.get("coldStarts") >= 1);
        assertNotNull(good.get("lastColdStartMs"));
        assertNotNull(good.get("pid"));
        assertTrue((Long) good.get("requests") >= 2);
        assertTrue((Long) ((Map<String, Object>) good.get("responses")).get("2xx") >= 2);
        assertTrue((Long) good.get("memoryBytes") > 0, "memory from the micro's cgroup");
        assertTrue((Long) good.get("pidsCurrent") > 0);
        Map<String, Object> bad = micro(state, "bad");
        assertEquals(1L, ((Map<String, Object>) bad.get("limitsHit")).get("timeout504"));
        assertEquals("killed", bad.get("state"), "the timed-out micro was killed");
        assertEquals("killed: execution timeout", bad.get("problem"));
        Map<String, Object> site = micro(state, "site");
        assertEquals("static", site.get("state"));
        assertNull(site.get("pid"));
        assertEquals(536870912L / 2, ((Map<String, Object>) state.get("limits")).get("memoryBytes"));
    }

    @Test
    void thePageHoldsTheDataWithoutScript() throws Exception {
        get("/good/warm");
        Response r = get("/__micros/");
        assertEquals(200, r.status());
        assertTrue(r.header("content-type").startsWith("text/html"));
        String html = r.text();
        assertTrue(html.contains("<tr data-micro=\"good\" data-state=\"awake\">") || html.contains("<tr data-micro=\"good\" data-state=\"frozen\">"), html);
        assertTrue(html.contains("<tr data-micro=\"site\" data-state=\"static\">"), html);
        assertTrue(html.matches("(?s).*<td class=\"cold\">[0-9]+ <small>\\(last [0-9]+ ms\\)</small></td>.*"), html);
        assertTrue(html.contains("prefers-color-scheme"));
        assertTrue(html.contains("<svg class=\"spark\""));
        Response fragment = get("/__micros/?fragment=1");
        assertTrue(fragment.text().startsWith("<section"), fragment.text());
        assertEquals(301, get("/__micros").status());
    }

    @Test
    void theDashboardIsTheOwners() throws Exception {
        assertEquals(401, Http.get(app.port(), "/__micros/").status());
        assertEquals(401, Http.get(app.port(), "/__micros/api/state").status());
        assertEquals(401, Http.send(app.port(), "POST /__micros/actions/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", null).status());
    }
}
