package micros.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.data.base.BaseService;
import micros.support.Apps;
import micros.support.Jar;
import micros.util.Json;

/** `data import`, `data export` and `data env` through the jar, as users run them. */
class DataCliTest {
    @TempDir
    Path dir;

    private static void zip(Path file, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream z = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
    }

    private static Map<String, byte[]> unzip(Path file) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (ZipFile z = new ZipFile(file.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) out.put(e.getName(), z.getInputStream(e).readAllBytes());
        }
        return out;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void drivesRoundTripAndNothingIsOverwrittenWithoutReplace() throws Exception {
        Path app = Apps.copy("data", dir);
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("export-2023/drives/photos/a/b.txt", b("nested"));
        files.put("export-2023/drives/photos/top.bin", new byte[] {0, 1, 2, (byte) 255});
        files.put("export-2023/drives/docs/../../escape.txt", b("stays inside"));
        Path in = dir.resolve("space-export.zip");
        zip(in, files);
        Jar.Result first = Jar.run(app, "data", "import", in.toString());
        assertEquals(0, first.exit(), first.all());
        assertTrue(first.out().contains("0 bases (0 items), 2 drives (3 files)"), first.out());
        assertTrue(Files.isRegularFile(app.resolve(".micros/data/drives/photos/files/a%2Fb.txt")));
        for (String f : DataClient.files(app)) assertFalse(f.endsWith("escape.txt") && !f.startsWith(".micros/data/drives/docs/files/"), f);

        Jar.Result again = Jar.run(app, "data", "import", in.toString());
        assertEquals(2, again.exit(), "refused without --replace");
        assertTrue(again.err().contains("drive 'photos' (2 of its files)") && again.err().contains("--replace"), again.err());
        assertFalse(again.err().contains("Exception"), again.err());
        Files.writeString(app.resolve(".micros/data/drives/photos/files/extra.txt"), "not in the export");
        Jar.Result replaced = Jar.run(app, "data", "import", in.toString(), "--replace");
        assertEquals(0, replaced.exit(), replaced.all());
        assertFalse(Files.exists(app.resolve(".micros/data/drives/photos/files/extra.txt")), "--replace makes each drive the export's");

        Path out = dir.resolve("back.zip");
        Jar.Result export = Jar.run(app, "data", "export", out.toString());
        assertEquals(0, export.exit(), export.all());
        Map<String, byte[]> back = unzip(out);
        assertEquals(List.of("drives/docs/../../escape.txt", "drives/photos/a/b.txt", "drives/photos/top.bin"), List.copyOf(back.keySet()));
        for (var e : files.entrySet()) assertArrayEquals(e.getValue(), back.get(e.getKey().substring("export-2023/".length())), e.getKey());
        assertEquals(2, Jar.run(app, "data", "export", out.toString()).exit(), "an existing file is never overwritten");
    }

    @Test
    void badInputIsOneSentence() throws Exception {
        Path app = Apps.copy("data", dir);
        Path notZip = dir.resolve("notes.zip");
        Files.writeString(notZip, "not a zip");
        Jar.Result r = Jar.run(app, "data", "import", notZip.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("is not a readable zip file"), r.err());
        Path empty = dir.resolve("empty.zip");
        zip(empty, Map.of("readme.txt", b("hi")));
        Jar.Result e = Jar.run(app, "data", "import", empty.toString());
        assertEquals(2, e.exit());
        assertTrue(e.err().contains("is it a Space Data Export?"), e.err());
        Path badJson = dir.resolve("bad.zip");
        zip(badJson, Map.of("bases/notes.json", b("{\"not\": \"items\"}")));
        Jar.Result j = Jar.run(app, "data", "import", badJson.toString());
        assertEquals(2, j.exit());
        assertTrue(j.err().contains("neither a JSON array of items nor an object holding \"items\""), j.err());
        assertEquals(2, Jar.run(app, "data").exit());
        assertEquals(2, Jar.run(app, "data", "frobnicate").exit());
        Jar.Result env = Jar.run(app, "data", "env");
        assertEquals(1, env.exit());
        assertTrue(env.err().contains("micros is not running"), env.err());
        assertTrue(Jar.run(app, "data", "--help").out().contains("data import EXPORT.zip"));
    }

    @Test
    void envPrintsTheRunningAppsDataAndImportWaitsForAStop() throws Exception {
        Apps.require("python3");
        Path app = Apps.copy("data", dir);
        try (Apps.Running running = Apps.start(app, Apps.Options.defaults())) {
            Jar.Result env = Jar.run(app, "data", "env");
            assertEquals(0, env.exit(), env.all());
            DataServer data = running.emulator.data();
            assertTrue(env.out().contains("export DETA_PROJECT_KEY='" + data.projectKey() + "'"), env.out());
            assertTrue(env.out().contains("export DETA_BASE_HOST='" + data.hostPort() + "'"), env.out());
            assertTrue(env.out().contains("export DETA_DRIVE_HOST='" + data.hostPort() + "'"), env.out());
            for (String v : DataServer.CA_VARIABLES) assertTrue(env.out().contains("export " + v + "='"), env.out());
            // the printed variables work: curl (default verification) reaches the data over HTTPS
            Path put = dir.resolve("put.sh");
            Files.writeString(put, env.out() + "curl -sS -X POST -H \"X-API-Key: $DETA_PROJECT_KEY\" --data-binary hi "
                    + "\"https://$DETA_DRIVE_HOST/v1/${DETA_PROJECT_KEY%%_*}/shell/files?name=from-curl.txt\"\n");
            Process p = new ProcessBuilder("sh", put.toString()).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), said);
            assertEquals("from-curl.txt", Json.object(said).get("name"), said);
            Path zip = dir.resolve("x.zip");
            zip(zip, Map.of("drives/d/f.txt", b("x")));
            Jar.Result busy = Jar.run(app, "data", "import", zip.toString());
            assertEquals(1, busy.exit());
            assertTrue(busy.err().contains("stop it first"), busy.err());
        }
    }

    @Test
    void basesRoundTrip() throws Exception {
        try {
            new BaseService(dir.resolve("probe"), "p", "p_k").importItems("x", List.of(), false);
        } catch (IOException e) {
            Assumptions.assumeFalse(String.valueOf(e.getMessage()).contains("not in this branch"), "Deta Base is a stand-in in this branch: " + e.getMessage());
        }
        Path app = Apps.copy("data", dir);
        Path in = dir.resolve("export.zip");
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("bases/notes.json", b("[{\"key\":\"a\",\"text\":\"first\",\"n\":1},{\"key\":\"b\",\"text\":\"second\",\"tags\":[\"x\",\"y\"]}]"));
        files.put("bases/users.json", b("{\"items\":[{\"key\":\"u1\",\"name\":\"Ada\",\"address\":{\"city\":\"London\"}}]}"));
        zip(in, files);
        Jar.Result r = Jar.run(app, "data", "import", in.toString());
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("2 bases (3 items)"), r.out());
        Jar.Result again = Jar.run(app, "data", "import", in.toString());
        assertEquals(2, again.exit(), again.all());
        assertTrue(again.err().contains("base 'notes' (2 items)"), again.err());
        Path out = dir.resolve("back.zip");
        assertEquals(0, Jar.run(app, "data", "export", out.toString()).exit());
        Map<String, byte[]> back = unzip(out);
        assertEquals(Json.parse(new String(files.get("bases/notes.json"), StandardCharsets.UTF_8)),
                Json.parse(new String(back.get("bases/notes.json"), StandardCharsets.UTF_8)));
        assertEquals(Json.object(new String(files.get("bases/users.json"), StandardCharsets.UTF_8)).get("items"),
                Json.parse(new String(back.get("bases/users.json"), StandardCharsets.UTF_8)));
    }
}
