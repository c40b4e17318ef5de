package micros.gateway;

import org.junit.jupiter.api.extension.ExtendWith;

import micros.support.RemoteMicros;

/** {@link AuthTest}'s tests through `micros gateway`: auth is the gateway's, wherever the micros run. */
@ExtendWith(RemoteMicros.GatewayMode.class)
class AuthGatewayTest extends AuthTest {
}
