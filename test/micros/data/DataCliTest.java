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
        assertTrue(r.out().startsWith("imported ") && r.err().isEmpty(), "the batch JVM the import runs in says nothing of its own: " + r.all());
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

    /** Every regular file under the app's data folder (an import that was refused leaves none). */
    private static List<String> dataFiles(Path app) throws IOException {
        Path data = app.resolve(".micros/data");
        return Files.exists(data) ? DataClient.files(data) : List.of();
    }

    @Test
    void deepJsonInAnImportIsOneSentence() throws Exception {
        Path app = Apps.copy("data", dir);
        Path deep = dir.resolve("deep.zip");
        zip(deep, Map.of("bases/deep.json", b("[{\"key\":\"a\",\"v\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}]")));
        Jar.Result r = Jar.run(app, "data", "import", deep.toString());
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.err().contains("bases/deep.json") && r.err().contains("nested deeper than"), r.err());
        assertFalse(r.all().contains("internal error") || r.all().contains("StackOverflow"), r.all());
        assertEquals(1, r.err().strip().lines().count(), "one sentence: " + r.err());
        // within the parser's limit but deeper than an item may nest: refused by Base's rule, naming the entry
        Path items = dir.resolve("items.zip");
        zip(items, Map.of("bases/ok.json", b("[{\"key\":\"a\"}]"), "bases/nested.json", b("[{\"key\":\"a\",\"v\":" + "[".repeat(110) + "]".repeat(110) + "}]")));
        Jar.Result n = Jar.run(app, "data", "import", items.toString());
        assertEquals(2, n.exit(), n.all());
        assertTrue(n.err().contains("bases/nested.json") && n.err().contains("deeper than 100 levels"), n.err());
        assertEquals(List.of(), dataFiles(app), "nothing imported, not even the good base");
    }

    @Test
    void anItemPastWhatAnItemCanTakeIsRefusedBeforeItIsParsed() throws Exception {
        Path app = Apps.copy("data", dir);
        // ~24 MB of the densest JSON (an object per 10 bytes) in one item: parsed whole it would take ~30 times that
        StringBuilder big = new StringBuilder("[{\"key\":\"big\",\"x\":[");
        for (int i = 0; i < 2_400_000; i++) big.append(i == 0 ? "" : ",").append("{\"k\":{}}");
        big.append("]}]");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("bases/small.json", b("[{\"key\":\"a\"}]"));
        entries.put("drives/photos/a.txt", b("a"));
        entries.put("bases/big.json", b(big.toString()));
        Path in = dir.resolve("big.zip");
        zip(in, entries);
        Jar.Result r = Jar.run(app, Map.of("JAVA_TOOL_OPTIONS", "-Xmx64m"), "data", "import", in.toString());
        assertEquals(2, r.exit(), r.all());
        assertTrue(r.out().contains("bases/big.json: item 1 takes more than 1600 KB of JSON text") && r.out().contains("400 KB"), r.out()); // out and err together
        assertFalse(r.all().contains("internal error") || r.all().contains("OutOfMemory"), r.all());
        assertEquals(List.of(), dataFiles(app), "nothing imported");
    }

    /** A Base export of {@code n} items of ~450 bytes (keys in no order), as JSON text. */
    private static byte[] bigBase(int n, String last) {
        StringBuilder sb = new StringBuilder(n * 460).append('[');
        java.util.Random r = new java.util.Random(26);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "\n" : ",\n").append("{\"key\":\"k").append(Long.toString(r.nextLong() & Long.MAX_VALUE, 36)).append(i).append("\",\"n\":").append(i)
                    .append(",\"city\":\"").append(i % 7 == 0 ? "Berlin" : "Paris").append("\",\"bio\":\"").append("x".repeat(380)).append("\"}");
        }
        if (last != null) sb.append(",\n").append(last);
        return b(sb.append("\n]\n").toString());
    }

    @Test
    void aBigExportStreamsThroughASmallHeapAllOrNothing() throws Exception {
        Path app = Apps.copy("data", dir);
        Map<String, String> small = Map.of("JAVA_TOOL_OPTIONS", "-Xmx64m"); // the items would fill it several times over
        // 100,000 good items, then a base whose last item Base refuses: nothing at all is imported
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("bases/big.json", bigBase(100_000, null));
        entries.put("bases/bad.json", bigBase(1_000, "{\"key\":\"x\",\"n\":12345678901234567}"));
        Path bad = dir.resolve("bad.zip");
        zip(bad, entries);
        Jar.Result refused = Jar.run(app, small, "data", "import", bad.toString());
        assertEquals(2, refused.exit(), refused.all());
        assertTrue(refused.out().contains("bases/bad.json: item 1001: Number exceeds the maximum of 16 digits"), refused.out()); // out and err together
        assertEquals(List.of(), dataFiles(app), "nothing imported, no staged log left");

        entries.remove("bases/bad.json");
        Path good = dir.resolve("good.zip");
        zip(good, entries);
        Jar.Result r = Jar.run(app, small, "data", "import", good.toString());
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("1 base (100000 items)"), r.out());
        Path out = dir.resolve("back.zip");
        Jar.Result e = Jar.run(app, small, "data", "export", out.toString());
        assertEquals(0, e.exit(), e.all());
        List<?> back;
        try (ZipFile z = new ZipFile(out.toFile())) {
            back = (List<?>) Json.parse(new String(z.getInputStream(z.getEntry("bases/big.json")).readAllBytes(), StandardCharsets.UTF_8));
        }
        List<?> sent = (List<?>) Json.parse(new String(entries.get("bases/big.json"), StandardCharsets.UTF_8));
        assertEquals(sent.size(), back.size());
        java.util.Set<Object> want = new java.util.HashSet<>(sent), got = new java.util.HashSet<>(back);
        assertEquals(want, got, "every item back, as sent");
    }

    /** Peak RSS in bytes of {@code micros ARGS} (and the JVMs it waits for), as the kernel counts it for /usr/bin/time. */
    private static long peak(Path app, String... args) throws Exception {
        Path rss = Files.createTempFile("micros-rss", ".txt");
        List<String> cmd = new java.util.ArrayList<>(List.of("/usr/bin/time", "-f", "%M", "-o", rss.toString()));
        cmd.addAll(Jar.command(args));
        Process p = new ProcessBuilder(cmd).directory(app.toFile()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), said);
        String kb = Files.readString(rss).strip();
        Files.delete(rss);
        return Long.parseLong(kb.substring(kb.lastIndexOf('\n') + 1)) << 10;
    }

    @Test
    void anImportAndAnExportPeakNearTheIndexNotTheItems() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/time")), "GNU time measures the peak");
        Path app = Apps.copy("data", dir);
        Path in = dir.resolve("big.zip");
        zip(in, Map.of("bases/big.json", bigBase(200_000, null))); // 90 MB of items, a 6 MB index
        // plain java -jar, as users run it: loose bounds, far below what the items would take (~1.8 GB before)
        long imported = peak(app, "data", "import", in.toString());
        assertTrue(imported < 200 << 20, "data import peaked at " + (imported >> 20) + " MB");
        long exported = peak(app, "data", "export", dir.resolve("back.zip").toString());
        assertTrue(exported < 200 << 20, "data export peaked at " + (exported >> 20) + " MB");
    }

    /** Makes a zip entry's central-directory size say {@code size} (what a hostile zip can do). */
    private static void declare(Path zip, String entry, int size) throws IOException {
        byte[] z = Files.readAllBytes(zip);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(z).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        byte[] name = b(entry);
        for (int at = 0; at + 46 < z.length; at++) {
            if (b.getInt(at) != 0x02014b50 || b.getShort(at + 28) != name.length) continue;
            if (java.util.Arrays.equals(z, at + 46, at + 46 + name.length, name, 0, name.length)) {
                b.putInt(at + 24, size);
                Files.write(zip, z);
                return;
            }
        }
        throw new AssertionError("no entry " + entry + " in " + zip);
    }

    @Test
    void anExportPastTheFreeDiskIsRefusedAndLeavesNothing() throws Exception {
        Path app = Apps.copy("data", dir);
        Path data = Files.createDirectories(app.resolve(".micros/data"));
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=80m", "tmpfs", data.toString()).redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(mount.waitFor() == 0, "a small file system for the data needs mount (root): " + said);
        try {
            // 32 MB of zeros (a 32 KB zip entry) where 16 MB are free beyond the 64 MB kept spare
            Map<String, byte[]> entries = new LinkedHashMap<>();
            entries.put("bases/notes.json", b("[{\"key\":\"a\"}]"));
            entries.put("drives/photos/a.txt", b("a"));
            entries.put("drives/photos/big.bin", new byte[32 << 20]);
            Path honest = dir.resolve("honest.zip");
            zip(honest, entries);
            Jar.Result r = Jar.run(app, "data", "import", honest.toString());
            assertEquals(2, r.exit(), r.all());
            assertTrue(r.err().contains("drives/photos/big.bin") && r.err().contains("free disk"), r.err());
            assertEquals(List.of(), dataFiles(app), "nothing imported");
            // the same entry claiming 1,000 bytes: caught while it is decompressed, and nothing is left behind
            Path lying = dir.resolve("lying.zip");
            zip(lying, entries);
            declare(lying, "drives/photos/big.bin", 1000);
            try (ZipFile z = new ZipFile(lying.toFile())) {
                assertEquals(1000, z.getEntry("drives/photos/big.bin").getSize());
            }
            Jar.Result l = Jar.run(app, "data", "import", lying.toString());
            assertEquals(2, l.exit(), l.all());
            assertTrue(l.err().contains("drives/photos/big.bin") && l.err().contains("free disk"), l.err());
            assertEquals(List.of(), dataFiles(app), "nothing imported, no staged file left");
            // a Base whose staged log (twice: staged, then in key order) passes the free disk: refused as it is staged, nothing left
            Path bigBase = dir.resolve("big-base.zip");
            zip(bigBase, Map.of("bases/many.json", bigBase(20_000, null))); // ~9 MB of items: 18 MB where 16 MB are free
            Jar.Result b = Jar.run(app, "data", "import", bigBase.toString());
            assertEquals(2, b.exit(), b.all());
            assertTrue(b.err().contains("bases/many.json") && b.err().contains("free disk"), b.err());
            assertEquals(List.of(), dataFiles(app), "nothing imported, no staged log left");
            // what fits is imported
            entries.remove("drives/photos/big.bin");
            zip(honest, entries);
            Jar.Result ok = Jar.run(app, "data", "import", honest.toString());
            assertEquals(0, ok.exit(), ok.all());
            assertTrue(ok.out().contains("1 base (1 item), 1 drive (1 file)"), ok.out());
        } finally {
            new ProcessBuilder("umount", data.toString()).start().waitFor();
        }
    }
}
