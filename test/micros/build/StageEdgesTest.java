package micros.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.util.Json;

/**
 * The stage at its edges, through the jar: a Deta Cloud micro's upload follows its .detaignore,
 * as the deta CLI's did. Apps live under /var/tmp: a sandboxed micro does not see the real /tmp.
 */
class StageEdgesTest {
    private Path dir;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory(Path.of("/var/tmp"), "micros-stage-edges-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (dir == null) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void write(String path, String text) throws IOException {
        Path p = dir.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    /** Starts `run` on a free port and returns it with its port, once it listens. */
    private record Running(Jar.Proc proc, int port) implements AutoCloseable {
        @Override
        public void close() {
            proc.close();
        }
    }

    private static Running run(Path project) throws Exception {
        Jar.Proc p = Jar.start(project, Map.of(), "run", "--port", "0", "--public");
        String ready = p.await("is listening on", 60);
        return new Running(p, Integer.parseInt(ready.replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1")));
    }

    /** A Python micro that answers with the files of its folder, relative to it. */
    private static final String LISTS_ITS_FILES = String.join("\n",
            "import json, os",
            "def files(environ, start_response):",
            "    found = sorted(os.path.relpath(os.path.join(d, f), '.') for d, _, fs in os.walk('.') for f in fs)",
            "    start_response('200 OK', [('Content-Type', 'application/json')])",
            "    return [json.dumps(found).encode()]", "");

    @Test
    void aDetaCloudMicroRunsWhatItsDetaignoreLetThroughAsTheDetaCliDid() throws Exception {
        Apps.require("python3");
        write(".deta/prog_info", "{\"id\":\"1\",\"space\":1,\"runtime\":\"python3.9\",\"name\":\"lister\",\"path\":\"lister\",\"project\":\"p\","
                + "\"account\":\"1\",\"region\":\"eu-central-1\",\"deps\":[],\"envs\":[],\"public\":true,\"log_level\":\"debug\",\"cron\":\"\"}");
        write("main.py", LISTS_ITS_FILES + "from deta import App\napp = App(files)\n");
        write(".detaignore", "^notes/\n");
        write("notes/draft.txt", "left out by .detaignore\n");
        write(".secret", "a dotfile: the deta CLI left it out\n");
        write("dist/bundle.js", "in Space's default list, not in the deta CLI's: deployed\n");
        try (Running r = run(dir)) {
            Http.Response res = Http.get(r.port(), "/");
            assertEquals(200, res.status(), res.text() + "\n" + r.proc().output());
            @SuppressWarnings("unchecked")
            List<Object> files = (List<Object>) Json.parse(res.text());
            assertTrue(files.contains("main.py") && files.contains(".detaignore"), files.toString());
            assertTrue(files.contains("dist/bundle.js"), "the deta CLI deployed dist/: " + files);
            assertFalse(files.contains("notes/draft.txt"), "its .detaignore left it out: " + files);
            assertFalse(files.contains(".secret"), "the deta CLI left dotfiles out: " + files);
            assertFalse(files.stream().anyMatch(f -> f.toString().startsWith(".deta/")), "prog_info was never deployed: " + files);
        }
    }
}
