package micros.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.actions.Scheduler;
import micros.spacefile.App;
import micros.spacefile.SpacefileReader;
import micros.support.Apps;
import micros.support.Jar;
import micros.util.Json;

/** `init` turns Deta Cloud micros into a Spacefile that keeps what prog_info said, and the result runs under `check`. */
class ClassicInitTest {
    @TempDir
    Path dir;

    @Test
    void oneMicroKeepsItsAccessRuntimeEnvsAndCron() throws Exception {
        Apps.require("python3");
        Path py = Apps.copy("classic", dir).resolve("py");
        Jar.Result init = Jar.run(py, "init", "--yes");
        assertEquals(0, init.exit(), init.all());
        String text = Files.readString(py.resolve("Spacefile"));
        assertTrue(text.contains("engine: python3.8  # Deta Cloud ran python3.7; python3.8 is Space's nearest engine"), text);
        assertTrue(text.contains("default_interval: \"0/15 * * * *\""), text);
        App app = SpacefileReader.read(py.resolve("Spacefile")).app();
        assertEquals(null, app.classic()); // a Spacefile now: Space's rules
        App.Micro m = app.primary();
        assertTrue(!m.isPublic() && m.apiKeys(), "Deta Access on: private, with API keys");
        assertEquals(List.of("TOKEN", "MISSING"), m.env().stream().map(App.EnvVar::name).toList());
        assertEquals("cron", m.actions().get(0).id());

        Jar.Result check = Jar.run(py, "check", "--env", "TOKEN=t", "--env", "MISSING=m");
        assertEquals(0, check.exit(), check.all());
        // the scheduled action reaches the code's app.lib.cron handler on Space's engine, unchanged
        try (Apps.Running running = Apps.start(py, Apps.Options.defaults())) {
            Scheduler.Result r = running.emulator.scheduler().fireNow("cron");
            assertEquals(200, r.status(), r.body());
            assertEquals(Map.of("type", "cron"), Json.object(r.body()));
        }
    }

    @Test
    void severalMicrosInFoldersBecomeOneSpacefile() throws Exception {
        Apps.require("python3", "node");
        Path fixtures = Apps.copy("classic", dir);
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo);
        Files.move(fixtures.resolve("py"), repo.resolve("api"));
        Files.move(fixtures.resolve("js"), repo.resolve("web"));
        Files.writeString(repo.resolve("web/.detaignore"), "docs\n");
        Jar.Result init = Jar.run(repo, "init", "--yes");
        assertEquals(0, init.exit(), init.all());
        assertTrue(init.err().contains("note: micro 'jsclassic': .detaignore is not read by Space"), init.all());
        App app = SpacefileReader.read(repo.resolve("Spacefile")).app();
        assertEquals(List.of("pyclassic", "jsclassic"), app.micros().stream().map(App.Micro::name).toList());
        assertEquals("pyclassic", app.primary().name());
        App.Micro web = app.micro("jsclassic");
        assertTrue(web.isPublic());
        assertEquals("nodejs16", web.engine().id());
        assertEquals("jsclassic-cron", web.actions().get(0).id());
        assertEquals("5 minutes", web.actions().get(0).interval());
        Jar.Result check = Jar.run(repo, "check", "--env", "TOKEN=t", "--env", "MISSING=m");
        assertEquals(0, check.exit(), check.all());
    }

    @Test
    void cronExpressionsBecomeSpacesFiveFields() {
        assertEquals("0/15 * * * *", ClassicInit.spaceInterval("0/15 * * * ? *"));
        assertEquals("0 18 * * MON-FRI", ClassicInit.spaceInterval("0 18 ? * MON-FRI *"));
        assertEquals("30 18 * * 1-5", ClassicInit.spaceInterval("30 18 ? * 2-6 *")); // Deta's 2-6 (MON-FRI from SUN = 1) is 1-5
        assertEquals("0 8 1 * *", ClassicInit.spaceInterval("0 8 1 * ? *"));
        assertEquals("2 hours", ClassicInit.spaceInterval("2 hours"));
        assertNull(ClassicInit.spaceInterval("0 10 L * ? *"));
        assertNull(ClassicInit.spaceInterval("0 12 ? * 3#2 *"));
        assertNull(ClassicInit.spaceInterval("0 0 1 1 ? 2030"));
    }
}
