package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;


/** What `deta deploy` left out, read as the deta CLI read it: regular expressions, later lines first, then the runtime's defaults, then dotfiles. */
class DetaIgnoreTest {

    @Test
    void pythonDefaults() {
        DetaIgnore d = DetaIgnore.of("", true);
        for (String out : new String[] {"__pycache__", "a/b.pyc", "README.rst", "main.py~", ".deta", "venv", "env", "my-venv", ".env", ".git", "sub/.hidden"})
            assertTrue(d.ignored(out, false), out + " is left out");
        for (String in : new String[] {"main.py", "requirements.txt", "templates/index.html", "node_modules", "environment.txt", ".detaignore"})
            assertFalse(d.ignored(in, false), in + " is uploaded");
    }

    @Test
    void nodeDefaults() {
        DetaIgnore d = DetaIgnore.of("", false);
        assertTrue(d.ignored("node_modules", true));
        assertTrue(d.ignored(".deta", true));
        assertFalse(d.ignored("venv", true)); // only Python's list has it
        assertFalse(d.ignored("index.js", false));
    }

    @Test
    void detaignoreLinesAreRegularExpressionsAndTheLastLineWins() {
        DetaIgnore d = DetaIgnore.of("test\ndocs\n!.env\n^data/keep\\.csv$\n!^data/keep\\.csv$\n", true);
        assertTrue(d.ignored("test", true));
        assertTrue(d.ignored("tests/unit.py", false)); // searched, not anchored: "test" is in "tests"
        assertTrue(d.ignored("docs", true));
        assertFalse(d.ignored(".env", false)); // ! keeps what the defaults leave out
        assertFalse(d.ignored("data/keep.csv", false)); // the later line comes first
        assertTrue(DetaIgnore.of("!^data/keep\\.csv$\n^data/keep\\.csv$\n", true).ignored("data/keep.csv", false));
        assertFalse(DetaIgnore.of("([unclosed\n", true).ignored("main.py", false)); // a line that does not compile is skipped
    }

    @Test
    void packageSizeOfADetaCloudMicroFollowsDetaignore(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve(".deta"));
        Files.writeString(dir.resolve(".deta/prog_info"), "{\"runtime\":\"python3.9\",\"name\":\"sizes\",\"public\":true}");
        Files.writeString(dir.resolve("main.py"), "app = None\n");
        Files.createDirectories(dir.resolve("big"));
        Files.write(dir.resolve("big/blob.bin"), new byte[300_000]);
        Files.write(dir.resolve("kept.bin"), new byte[1000]);
        var app = SpacefileReader.read(SpacefileReader.locate(dir.toString())).app();
        var ignore = micros.spacefile.Ignore.forMicro(app, dir);
        assertEquals(301_000 + 11, PackageSize.measure(dir, java.util.List.of(), ignore).source());
        Files.writeString(dir.resolve(".detaignore"), "^big$\n");
        ignore = micros.spacefile.Ignore.forMicro(app, dir);
        assertEquals(1000 + 11 + 6, PackageSize.measure(dir, java.util.List.of(), ignore).source()); // .detaignore itself is uploaded
    }
}
