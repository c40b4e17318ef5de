package micros.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.spacefile.App;
import micros.spacefile.SpacefileReader;

/** A folder with .deta/prog_info and no Spacefile is found and read as the micro Deta ran. */
class ClassicReaderTest {
    @TempDir
    Path dir;

    private micros.spacefile.Reading read(String progInfo, String entry) throws Exception {
        Files.createDirectories(dir.resolve(".deta"));
        Files.writeString(dir.resolve(".deta/prog_info"), progInfo);
        Files.writeString(dir.resolve(entry), "");
        Path located = SpacefileReader.locate(dir.toString());
        assertEquals(dir.resolve(".deta/prog_info"), located);
        return SpacefileReader.read(located);
    }

    @Test
    void aRealProgInfo() throws Exception {
        // as the deta CLI wrote it (envs null, log_level, deps)
        App app = read("{\"id\":\"ebba09cf\",\"space\":584,\"runtime\":\"python3.9\",\"name\":\"cric highlights!\",\"path\":\"yocvjf\",\"project\":\"a0mmxdo6\","
                + "\"account\":\"1\",\"region\":\"ap-southeast-1\",\"deps\":[\"requests\",\"deta\"],\"envs\":null,\"public\":true,\"log_level\":\"debug\",\"cron\":\"1 minute\"}", "main.py").app();
        App.Micro m = app.primary();
        assertEquals("cric-highlights-", m.name());
        assertEquals("python3.9", m.engine().id());
        assertTrue(m.isPublic() && !m.apiKeys());
        assertEquals(List.of(), m.env());
        assertEquals("1 minute", m.actions().get(0).schedule().toString());
        assertEquals(dir.toAbsolutePath().normalize(), app.root());
        assertEquals("Deta Cloud", app.platform());
    }

    @Test
    void noRuntimeMeansDetasDefaultForTheEntryFile() throws Exception {
        App app = read("{\"name\":\"\"}", "index.js").app();
        assertEquals("nodejs14.x", app.classic().runtime());
        assertTrue(app.classic().runtimeGuessed());
        assertEquals(dir.getFileName().toString().replaceAll("[^A-Za-z0-9_-]", "-"), app.primary().name());
        assertTrue(!app.primary().isPublic() && app.primary().apiKeys()); // Deta Access was on unless public
    }

    @Test
    void aCronWhoseYearsArePastIsAWarning() throws Exception {
        micros.spacefile.Reading r = read("{\"runtime\":\"python3.8\",\"cron\":\"0 0 1 1 ? 2021\"}", "main.py");
        assertEquals(List.of(), r.app().primary().actions());
        assertTrue(r.problems().get(0).toString().contains("warning: cron: '0 0 1 1 ? 2021' has no run left"), r.problems().toString());
    }
}
