package micros.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import micros.support.Http;
import micros.support.Http.Response;
import micros.support.RemoteMicros;
import micros.util.Json;

/**
 * {@link LimitsTest}'s tests through `micros gateway`: the timeout and the payload limit are the
 * gateway's; memory and processes are enforced by the platform that runs the micros.
 */
@ExtendWith(RemoteMicros.GatewayMode.class)
class LimitsGatewayTest extends LimitsTest {
    /** The deadline is the gateway's: 504 with the same words; the remote micro is the platform's to end, so it keeps running. */
    @Override
    @Test
    void aRequestPastTheTimeoutGets504AndTheMicroIsReset() throws Exception {
        Object before = Json.object(Http.get(app.port(), "/hog/pid").text()).get("pid");
        Response r = Http.get(app.port(), "/hog/sleep?s=10");
        assertEquals(504, r.status());
        assertEquals("micro \"hog\" did not answer within 2s (Space's execution timeout)\n", r.text());
        assertTrue(app.logged("hog: GET /hog/sleep?s=10 did not finish within 2s (Space's execution timeout); cut the connection to http://127.0.0.1:"), app::output);
        assertEquals(before, Json.object(Http.get(app.port(), "/hog/pid").text()).get("pid"), "micros starts and kills no remote process");
        assertTrue(app.emulator.runtime().limiter().summary().contains("enforced by the platform"), app.emulator.runtime().limiter().summary());
    }

    @Override
    @Disabled("the memory limit of a remote micro is enforced by the platform (a container limit), not by micros")
    void allocatingPastTheMemoryLimitGets502NamingItAndRecovers() {
    }

    @Override
    @Disabled("the process limit of a remote micro is enforced by the platform (a node-level setting on Kubernetes), not by micros")
    void threadsPastThePidsLimitAreRefusedAndLogged() {
    }
}
