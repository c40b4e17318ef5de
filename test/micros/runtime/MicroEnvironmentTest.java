package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.spacefile.App.Micro;
import micros.spacefile.SpacefileReader;

/** micros' own secrets given in its environment never reach a micro, even with --dev (the shell's environment passes through). */
class MicroEnvironmentTest {
    @TempDir
    Path dir;

    @Test
    void theOwnerTokenAndApiKeysInTheEnvironmentAreNotPassedOn() throws Exception {
        Files.createDirectories(dir.resolve("api"));
        Micro m = SpacefileReader.parse("v: 0\nmicros:\n  - name: api\n    src: api\n    engine: nodejs16\n    run: node x.js\n", dir.resolve("Spacefile"))
                .app().micros().get(0);
        Map<String, String> shell = Map.of("MICROS_OWNER_TOKEN", "owner-0123456789", "MICROS_API_KEYS", "k1,k2", "EDITOR", "vi", "PATH", "/usr/bin:/bin");
        for (boolean dev : new boolean[] {true, false}) {
            Map<String, String> env = MicroEnvironment.build(m, dev, Map.of(), shell, new MicroEnvironment.Shared("p_k", "a", "h:1", "dev"), 1234,
                    dir, dir, Map.of());
            assertFalse(env.containsKey("MICROS_OWNER_TOKEN"), "dev=" + dev);
            assertFalse(env.containsKey("MICROS_API_KEYS"), "dev=" + dev);
            assertEquals(dev ? "vi" : null, env.get("EDITOR"), "the rest of the shell passes with --dev only");
        }
    }
}
