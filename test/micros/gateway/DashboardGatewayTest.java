package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import micros.support.Http;
import micros.support.Http.Response;
import micros.support.RemoteMicros;
import micros.util.Json;

/**
 * {@link DashboardTest}'s tests through `micros gateway`: a remote micro shows as "remote", with
 * its traffic and limits hit, and no process, memory or pids of its own (the platform's).
 */
@ExtendWith(RemoteMicros.GatewayMode.class)
class DashboardGatewayTest extends DashboardTest {
    private static Response owner(String target) throws Exception {
        return Http.send(app.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + OWNER + "Connection: close\r\n\r\n", null);
    }

    @Override
    @Test
    @SuppressWarnings("unchecked")
    void stateJsonShowsEachMicroWithItsTrafficAndLimits() throws Exception {
        assertEquals(200, owner("/good/a").status());
        assertEquals(504, owner("/bad/silent").status());
        Map<String, Object> state = Json.object(owner("/__micros/api/state").text());
        Map<String, Map<String, Object>> byName = new java.util.HashMap<>();
        for (Object m : (List<Object>) state.get("micros")) byName.put((String) ((Map<String, Object>) m).get("name"), (Map<String, Object>) m);
        Map<String, Object> good = byName.get("good");
        assertEquals("remote", good.get("state"));
        assertTrue((Long) good.get("requests") >= 1);
        assertNull(good.get("pid"), "no process of micros'");
        assertNull(good.get("memoryBytes"), "memory is the platform's");
        assertEquals("remote", byName.get("bad").get("state"), "a timeout does not kill a remote micro");
        assertEquals(1L, ((Map<String, Object>) byName.get("bad").get("limitsHit")).get("timeout504"));
        assertEquals("static", byName.get("site").get("state"));
        assertTrue(String.valueOf(((Map<String, Object>) state.get("limits")).get("enforcement")).contains("enforced by the platform"), String.valueOf(state.get("limits")));
    }

    @Override
    @Test
    void thePageHoldsTheDataWithoutScript() throws Exception {
        owner("/good/warm");
        String html = owner("/__micros/").text();
        assertTrue(html.contains("<tr data-micro=\"good\" data-state=\"remote\">"), html);
        assertTrue(html.contains("<tr data-micro=\"site\" data-state=\"static\">"), html);
        assertTrue(html.contains("enforced by the platform"), "the page says who limits the micros");
    }
}
