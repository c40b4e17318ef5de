package micros.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Jar;

/** The command line on a Deta Cloud micro's folder, with the real jar: run, check, validate, trigger, invoke, and bad input. */
class ClassicCliTest {
    @TempDir
    static Path dir;
    static Path fixtures;

    @BeforeAll
    static void copy() throws Exception {
        Apps.require("python3", "node");
        fixtures = Apps.copy("classic", dir);
    }

    /** A fresh classic micro folder with this prog_info and these entry files. */
    private static Path micro(String name, String progInfo, String... entries) throws Exception {
        Path d = dir.resolve("bad").resolve(name);
        Files.createDirectories(d.resolve(".deta"));
        Files.writeString(d.resolve(".deta/prog_info"), progInfo);
        for (String e : entries) Files.writeString(d.resolve(e), "");
        return d;
    }

    /** One sentence on stderr, exit 2. */
    private static String refused(Path d, String... args) throws Exception {
        String[] all = new String[args.length + 1];
        all[0] = "validate";
        System.arraycopy(args, 0, all, 1, args.length);
        Jar.Result r = Jar.run(dir, all.length == 1 ? new String[] {"validate", d.toString()} : all);
        assertEquals(2, r.exit(), r.all());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        return r.err().strip();
    }

    @Test
    void badProgInfoIsOneSentenceNamingTheFieldOrFile() throws Exception {
        assertTrue(refused(micro("notjson", "{\"runtime\": python3.9", "main.py")).contains("prog_info is not JSON"));
        String unknown = refused(micro("runtime", "{\"runtime\":\"python3.6\"}", "main.py"));
        assertTrue(unknown.contains("runtime 'python3.6' is not one Deta ran: use one of python3.9, python3.8, python3.7, nodejs14.x, nodejs12.x"), unknown);
        assertTrue(refused(micro("noentry", "{\"runtime\":\"python3.9\"}", "app.py")).contains("has no entry file: a Deta Cloud micro runs main.py (exposing app) or index.js (exporting app)"));
        assertTrue(refused(micro("both", "{\"runtime\":\"python3.9\"}", "main.py", "index.js")).contains("conflicting entrypoint files present (main.py and index.js)"));
        assertTrue(refused(micro("mismatch", "{\"runtime\":\"nodejs14.x\"}", "main.py")).contains("has main.py but prog_info's runtime is nodejs14.x, which runs index.js"));
        assertTrue(refused(micro("public", "{\"runtime\":\"python3.9\",\"public\":\"yes\"}", "main.py")).contains("public should be true or false, not 'yes'"));
        assertTrue(refused(micro("envs", "{\"runtime\":\"python3.9\",\"envs\":[\"A B\"]}", "main.py")).contains("envs holds 'A B', which is not an environment variable name"));
        String cron = refused(micro("cron", "{\"runtime\":\"python3.9\",\"cron\":\"0 10 * * * *\"}", "main.py"));
        assertTrue(cron.contains("cron: '0 10 * * * *' sets both day-of-month and day-of-week: use ? in exactly one of them"), cron);
        assertTrue(refused(micro("rate", "{\"runtime\":\"python3.9\",\"cron\":\"30 seconds\"}", "main.py")).contains("under one minute"));
    }

    @Test
    void validateAcceptsAGoodOne() throws Exception {
        Jar.Result r = Jar.run(fixtures.resolve("py"), "validate");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("ok: 1 micro"), r.all());
    }

    @Test
    void limitsPastWhatDetaGrantedAreRefused() throws Exception {
        Jar.Result t = Jar.run(fixtures.resolve("py"), "run", "--timeout", "25s", "--port", "0");
        assertEquals(2, t.exit(), t.all());
        assertTrue(t.err().contains("--timeout 25s: Deta never allowed a micro more than 20s"), t.all());
        Jar.Result m = Jar.run(fixtures.resolve("py"), "check", "--memory", "2G");
        assertEquals(2, m.exit(), m.all());
        assertTrue(m.all().contains("--memory 2 GiB: Deta never allowed a micro more than 1 GiB"), m.all());
    }

    @Test
    void aFolderOfClassicMicrosSaysHowToRunThem() throws Exception {
        Jar.Result r = Jar.run(dir, "run", fixtures.toString(), "--port", "0");
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.err().contains("are Deta Cloud micros: run one with 'java -jar micros.jar run " + fixtures.resolve("cronly") + "'"), r.all());
    }

    @Test
    void runPrintsWhatProgInfoSaidThenTriggerAndInvokeGoThroughIt() throws Exception {
        Path py = fixtures.resolve("py");
        try (Jar.Proc p = Jar.start(py, Map.of(), "run", "--port", "0", "--env", "TOKEN=t", "--api-key", "abcdefghij.secret")) {
            p.await("Press Ctrl-C", 60);
            String out = p.output();
            assertTrue(out.contains("Deta Cloud micro (.deta/prog_info, no Spacefile): name pyclassic; runtime python3.7, run here on engine python3.8 (Space's nearest)"), out);
            assertTrue(out.contains("runs on Python ") && out.contains("; Deta ran python3.7"), out);
            assertTrue(out.contains("MISSING is in prog_info's envs, which holds names only (Deta kept the values)"), out);
            assertFalse(out.contains("TOKEN is in prog_info's envs"), out);
            assertTrue(out.contains("; timeout 10s; payload 5.5 MiB"), out); // Deta Cloud's defaults
            assertTrue(!out.contains("abcdefghij.secret") && out.contains("API key (X-API-Key, as `deta auth create-api-key` made them): the --api-key value"), out);
            assertTrue(out.contains("action cron (micro pyclassic): cron 0/15 * * * ? *; next run "), out);

            Jar.Result trigger = Jar.run(py, "trigger", "cron");
            assertEquals(0, trigger.exit(), trigger.all());
            assertTrue(trigger.out().contains("{\"type\": \"cron\"}"), trigger.all());

            Jar.Result invoke = Jar.run(py, "invoke", "hello", "--", "--name", "Jimmy");
            assertEquals(0, invoke.exit(), invoke.all());
            assertTrue(invoke.out().startsWith("Running micro...\n\nResponse:\n{\n\t\"action\": \"hello\",\n\t\"body\": \"{\\\"name\\\":\\\"Jimmy\\\"}\",\n\t\"message\": \"hello Jimmy!\",\n\t\"type\": \"run\"\n}"), invoke.out());
        }
    }

    @Test
    void invokeStartsTheMicroWhenNoneRuns() throws Exception {
        Path js = fixtures.resolve("js");
        Jar.Result r = Jar.run(js, "invoke", "hello", "--", "--name", "Jimmy", "--age", "33", "-active", "--emails", "a@deta.sh", "--emails", "b@deta.sh");
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("Response:\n{\n\t\"action\": \"hello\",\n\t\"json\": {\n\t\t\"active\": true,\n\t\t\"age\": \"33\",\n\t\t\"emails\": [\n\t\t\t\"a@deta.sh\",\n\t\t\t\"b@deta.sh\"\n\t\t],\n\t\t\"name\": \"Jimmy\"\n\t},\n\t\"message\": \"hello Jimmy!\",\n\t\"type\": \"run\"\n}"), r.out());
        Jar.Result welcome = Jar.run(js, "invoke");
        assertEquals(0, welcome.exit(), welcome.all());
        assertTrue(welcome.out().endsWith("Response:\n\"Welcome to Deta!\"\n"), welcome.out());
        Jar.Result boom = Jar.run(dir, "invoke", js.toString(), "boom");
        assertEquals(1, boom.exit(), boom.all());
        assertTrue(boom.out().contains("\"errorMessage\": \"the handler failed on purpose\""), boom.all());
        assertTrue(boom.err().contains("Error: the handler failed on purpose"), boom.all()); // the stack, in the micro's log
        Jar.Result none = Jar.run(js, "invoke", "nope");
        assertEquals(2, none.exit(), none.all());
        assertTrue(none.err().contains("no app.lib.run handler for the action \"nope\""), none.all());
    }

    @Test
    void checkPassesOnAClassicMicroAndACronOnlyOne() throws Exception {
        Jar.Result py = Jar.run(fixtures.resolve("py"), "check");
        assertEquals(0, py.exit(), py.all());
        Jar.Result cronly = Jar.run(fixtures.resolve("cronly"), "check", "--expect", "GET / 404");
        assertEquals(0, cronly.exit(), cronly.all());
    }
}
