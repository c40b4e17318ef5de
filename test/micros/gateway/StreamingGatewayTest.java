package micros.gateway;

import org.junit.jupiter.api.extension.ExtendWith;

import micros.support.RemoteMicros;

/** {@link StreamingTest}'s tests through `micros gateway`, its micros started elsewhere and given as --micro URLs. */
@ExtendWith(RemoteMicros.GatewayMode.class)
class StreamingGatewayTest extends StreamingTest {
}
