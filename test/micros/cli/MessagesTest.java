package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;

/** What micros says must be true and must name what matters. */
class MessagesTest {
    @TempDir
    Path dir;

    @Test
    void devSaysWhyTheSandboxIsOffWarnsOfUnsetPresetsAndShowsTheErrorLine() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("messages", dir);
        Jar.Result r = Jar.run(app, Map.of(), "check", "--dev");
        assertEquals(1, r.exit(), r.all());
        assertFalse(r.out().contains("--no-sandbox was given"), r.all());
        assertTrue(r.out().contains("sandbox: off (--dev"), r.all());
        assertTrue(r.out().contains("TOKEN has no value and no default"), r.all());
        assertTrue(r.out().contains("--env TOKEN=VALUE"), r.all());
        assertFalse(r.out().contains("MODE has no value"), "MODE has a default: " + r.all());
        assertTrue(r.out().contains("Error: Cannot find module 'express'"), r.all());

        Jar.Result given = Jar.run(app, Map.of(), "check", "--env", "TOKEN=x");
        assertFalse(given.out().contains("TOKEN has no value"), given.all());
    }

    /** There is no `micros` program on PATH: every hint and help text names what the user really types. */
    @Test
    void hintsAndHelpNameTheRealInvocation() throws Exception {
        Jar.Result none = Jar.run(dir, "validate");
        assertEquals(2, none.exit(), none.all());
        assertTrue(none.err().contains("(see 'java -jar micros.jar init')"), none.all());
        Jar.Result typo = Jar.run(dir, "chek");
        assertTrue(typo.err().contains("did you mean 'check'?); see 'java -jar micros.jar --help'"), typo.all());
        Jar.Result option = Jar.run(dir, "doctor", "--jsn");
        assertTrue(option.err().contains("(see 'java -jar micros.jar doctor --help')"), option.all());
        java.util.regex.Pattern fake = java.util.regex.Pattern.compile("['`\"]micros (run|check|exec|validate|trigger|doctor|init|data|gateway|export)\\b");
        for (String command : List.of("run", "check", "exec", "validate", "trigger", "doctor", "init", "data", "gateway", "export")) {
            Jar.Result help = Jar.run(dir, command, "--help");
            assertEquals(0, help.exit(), help.all());
            assertFalse(fake.matcher(help.out()).find(), command + " --help names a 'micros' command:\n" + help.out());
        }
    }

    @Test
    void withPublicTheReservedPathsSayHowTheOwnerGetsIn() throws Exception {
        Apps.require("node");
        try (Apps.Running open = Apps.start(Apps.copy("auth", dir), Apps.Options.defaults().isPublic(true))) {
            Http.Response r = Http.get(open.port(), "/__space/v0/actions");
            assertEquals(401, r.status());
            assertFalse(r.text().contains("printed at start"), r.text());
            assertTrue(r.text().contains("--owner-token"), r.text());
        }
    }
}
