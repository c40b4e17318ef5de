package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Jar;
import micros.support.Jar.Result;

/** The built jar, run as a process: exit codes, messages, never a stack trace. */
class ValidateCliTest {
    @TempDir
    Path dir;

    private static void noStackTrace(Result r) {
        assertFalse(r.all().contains("Exception"), r::all);
        assertFalse(r.all().contains("\tat "), r::all);
    }

    @Test
    void badSpacefileExitsTwoWithTheProblem() throws Exception {
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: .\n    engine: python3.11\n");
        Result r = Jar.run(dir, "validate");
        assertEquals(2, r.exit(), r::all);
        assertTrue(r.out().contains("Spacefile:5:13: micros[0].engine: 'python3.11' is not a supported engine"), r::all);
        assertTrue(r.out().contains("invalid: 1 error"), r::all);
        noStackTrace(r);
    }

    /** validate and run both refuse a Spacefile that publishes files outside its project. */
    @Test
    void servingOutsideTheProjectIsRefusedByValidateAndRun() throws Exception {
        Files.createDirectories(dir.resolve("site"));
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: ../../../../etc\n    public: true\n");
        for (String[] command : new String[][] {{"validate"}, {"run", "--port", "0"}}) {
            Result r = Jar.run(dir, command);
            assertEquals(2, r.exit(), r::all);
            assertTrue(r.all().contains("micros[0].serve: 'serve: ../../../../etc' is outside the project"), r::all);
            noStackTrace(r);
        }
    }

    @Test
    void yamlErrorExitsTwoWithLineAndColumn() throws Exception {
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n\t- name: api\n");
        Result r = Jar.run(dir, "validate", "Spacefile");
        assertEquals(2, r.exit(), r::all);
        assertTrue(r.out().contains("Spacefile:3:1: indentation must use spaces, not tabs"), r::all);
        noStackTrace(r);
    }

    @Test
    void validSpacefileExitsZero() throws Exception {
        Files.writeString(dir.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: .\n    engine: python3.9\n");
        Result r = Jar.run(dir, "validate", dir.toString());
        assertEquals(0, r.exit(), r::all);
        assertEquals("ok: 1 micro\n", r.out());
    }

    @Test
    void jsonListsProblemsForTools() throws Exception {
        Files.writeString(dir.resolve("Spacefile"), "v: 1\nmicros: []\n");
        Result r = Jar.run(dir, "validate", "--json");
        assertEquals(2, r.exit(), r::all);
        assertTrue(r.out().startsWith("[{\"severity\":\"error\",\"file\":\"Spacefile\",\"line\":1,\"column\":4,\"field\":\"v\""), r::all);
        assertTrue(r.out().trim().endsWith("}]"), r::all);
    }

    @Test
    void missingFileBinaryFileAndBadOptionsAreOneSentence() throws Exception {
        Result missing = Jar.run(dir, "validate");
        assertEquals(2, missing.exit());
        assertTrue(missing.err().startsWith("micros: no Spacefile in "), missing::all);
        assertEquals(1, missing.err().lines().count());
        Files.write(dir.resolve("Spacefile"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        Result binary = Jar.run(dir, "validate");
        assertEquals(2, binary.exit());
        assertTrue(binary.err().contains("is not UTF-8 text"), binary::all);
        Result option = Jar.run(dir, "validate", "--jsn");
        assertEquals(2, option.exit());
        assertEquals("micros: unknown option --jsn (did you mean --json?) (see 'java -jar micros.jar validate --help')\n", option.err());
        noStackTrace(missing);
        noStackTrace(binary);
    }

    @Test
    void helpAndVersion() throws Exception {
        Result help = Jar.run(dir, "validate", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().startsWith("Usage: java -jar micros.jar validate"), help::all);
        Result main = Jar.run(dir, "--help");
        assertTrue(main.out().contains("Commands:"), main::all);
        Result version = Jar.run(dir, "--version");
        assertTrue(version.out().startsWith("micros "), version::all);
        Result typo = Jar.run(dir, "valdate");
        assertEquals(2, typo.exit());
        assertTrue(typo.err().contains("did you mean 'validate'?"), typo::all);
    }
}
