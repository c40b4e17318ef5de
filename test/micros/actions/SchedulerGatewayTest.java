package micros.actions;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import micros.support.Apps;
import micros.support.RemoteMicros;

/** {@link SchedulerTest}'s tests through `micros gateway`: the scheduler is the gateway's, the micros are remote. */
@ExtendWith(RemoteMicros.GatewayMode.class)
class SchedulerGatewayTest extends SchedulerTest {
    /** A remote micro is never asleep here (its platform scales it): the action reaches it through the gateway. */
    @Override
    @Test
    void anActionWakesASleepingMicroAndObeysTheTimeout() throws Exception {
        Apps.require("node");
        try (Apps.Running app = Apps.start(Apps.copy("auth", dir), Apps.Options.defaults().isPublic(false))) {
            Scheduler.Result r = app.emulator.scheduler().fireNow("tick");
            assertEquals(200, r.status(), r.body());
        }
    }

    @Override
    @Disabled("starts the jar's 'run' command; GatewayCliTest runs the jar's 'gateway' command")
    void triggerFiresAnActionThroughTheRunningEmulator() {
    }
}
