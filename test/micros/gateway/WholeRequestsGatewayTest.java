package micros.gateway;

import org.junit.jupiter.api.extension.ExtendWith;

import micros.support.RemoteMicros;

/** {@link WholeRequestsTest}'s tests through `micros gateway`: bodies are read whole before a remote micro sees them. */
@ExtendWith(RemoteMicros.GatewayMode.class)
class WholeRequestsGatewayTest extends WholeRequestsTest {
}
