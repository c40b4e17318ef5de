package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Jar;
import micros.util.Json;

/** `doctor`: the prerequisites and the limits, as text and as JSON, on this machine and on one without the runtimes. */
class DoctorCliTest {
    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> prerequisites(String json) {
        Map<String, Map<String, Object>> byName = new HashMap<>();
        for (Object o : (List<Object>) Json.object(json).get("prerequisites")) byName.put((String) ((Map<String, Object>) o).get("name"), (Map<String, Object>) o);
        return byName;
    }

    @Test
    void listsThePrerequisitesWithTheirVersionsAndTheLimits() throws Exception {
        Jar.Result text = Jar.run(dir, "doctor");
        assertEquals(0, text.exit(), text.all());
        for (String name : List.of("java", "node", "npm", "python3", "python3 venv", "unshare", "setpriv", "mkfs.ext4", "cgroups"))
            assertTrue(text.out().matches("(?s).*\\n  " + java.util.regex.Pattern.quote(name) + " +(yes|no) .*"), name + " in:\n" + text.out());
        assertTrue(text.out().matches("(?s).*\\n  java +yes +" + java.util.regex.Pattern.quote(Runtime.version().toString()) + " .*"), text.out());
        assertTrue(text.out().contains("  memory (512 MiB)"), text.out());

        Jar.Result json = Jar.run(dir, "doctor", "--json");
        assertEquals(0, json.exit(), json.all());
        Map<String, Map<String, Object>> needs = prerequisites(json.out());
        assertEquals(true, needs.get("java").get("ok"));
        if (micros.util.Programs.onPath("node") != null) {
            assertEquals(true, needs.get("node").get("ok"));
            assertTrue(String.valueOf(needs.get("node").get("how")).startsWith("v"), needs.get("node").toString());
        }
        assertTrue(Json.object(json.out()).get("limits") instanceof List<?> l && l.size() >= 5, json.out());
    }

    /** Without the runtimes on PATH, each missing one says what to install; doctor still answers (exit 0). */
    @Test
    void aMissingRuntimeSaysWhatToInstall() throws Exception {
        Jar.Result r = Jar.run(dir, Map.of("PATH", dir.toString()), "doctor", "--json");
        assertEquals(0, r.exit(), r.all());
        Map<String, Map<String, Object>> needs = prerequisites(r.all());
        assertEquals(false, needs.get("node").get("ok"));
        assertEquals("not on PATH: install Node.js (16 or later) for Node micros and frontend builds", needs.get("node").get("how"));
        assertEquals(false, needs.get("python3").get("ok"));
        assertEquals(false, needs.get("python3 venv").get("ok"));
        assertEquals(false, needs.get("unshare").get("ok"));
        assertTrue(String.valueOf(needs.get("mkfs.ext4").get("how")).contains("install e2fsprogs"), r.all());
    }
}
