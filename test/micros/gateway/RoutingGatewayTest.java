package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import micros.support.Http;
import micros.support.Http.Response;
import micros.support.RemoteMicros;
import micros.util.Json;

/** {@link RoutingTest}'s tests through `micros gateway`, its micros started elsewhere and given as --micro URLs. */
@ExtendWith(RemoteMicros.GatewayMode.class)
class RoutingGatewayTest extends RoutingTest {
    /** The one difference: a remote micro gets its own host as Host (Knative routes by it), the client's as X-Forwarded-Host. */
    @Override
    @Test
    void headersPassThroughButClientAddressesAndHopByHopDoNot() throws Exception {
        Response r = Http.send(app.port(), "GET /api/h HTTP/1.1\r\nHost: example.test:8080\r\nX-Test: one\r\nX-Test: two\r\n"
                + "X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Host: forged.test\r\nForwarded: for=1.2.3.4\r\nX-Real-IP: 1.2.3.4\r\nConnection: close, X-Hop\r\nX-Hop: secret\r\n"
                + "Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nUser-Agent: micros-test\r\n\r\n", null);
        assertEquals(200, r.status());
        @SuppressWarnings("unchecked")
        Map<String, Object> h = (Map<String, Object>) Json.object(r.text()).get("headers");
        assertEquals("127.0.0.1:" + app.emulator.runtime().supervisor(app.emulator.app().micros().get(1)).remote().port(), h.get("host"));
        assertEquals("example.test:8080", h.get("x-forwarded-host"));
        assertEquals("one, two", h.get("x-test"));
        assertEquals("micros-test", h.get("user-agent"));
        for (String gone : List.of("x-forwarded-for", "forwarded", "x-real-ip", "x-hop", "keep-alive", "te", "proxy-authorization"))
            assertNull(h.get(gone), gone + " must not reach the micro");
    }
}
