package micros.spacefile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Jar;

/** .spaceignore rules, and what Space would have packaged for a micro. */
class PackageSizeTest {
    @TempDir
    Path dir;

    private static void file(Path p, int bytes) throws Exception {
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[bytes]);
    }

    /** An apparent size without using the disk: Space counted bytes, not blocks. */
    private static void sparse(Path p, long bytes) throws Exception {
        Files.createDirectories(p.getParent());
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(bytes);
        }
    }

    @Test
    void gitignoreSyntax() {
        SpaceIgnore s = new SpaceIgnore().add("""
                # a comment
                *.log
                !keep.log
                build/
                /top.txt
                docs/*.md
                **/cache/**
                a/**/z
                tmp?
                [Dd]ebug.txt
                """);
        assertTrue(s.ignored("x.log", false));
        assertTrue(s.ignored("deep/er/x.log", false));
        assertFalse(s.ignored("keep.log", false), "a later ! rule re-includes");
        assertTrue(s.ignored("build", true));
        assertFalse(s.ignored("build", false), "a trailing / only matches folders");
        assertTrue(s.ignored("sub/build", true));
        assertTrue(s.ignored("top.txt", false));
        assertFalse(s.ignored("sub/top.txt", false), "a leading / anchors to the src folder");
        assertTrue(s.ignored("docs/a.md", false));
        assertFalse(s.ignored("docs/sub/a.md", false), "* stays in one folder");
        assertTrue(s.ignored("x/cache/y/z.bin", false));
        assertTrue(s.ignored("a/z", false));
        assertTrue(s.ignored("a/b/c/z", false));
        assertTrue(s.ignored("tmp1", false));
        assertFalse(s.ignored("tmp12", false));
        assertTrue(s.ignored("Debug.txt", false));
        assertTrue(s.ignored("debug.txt", false));
        assertFalse(s.ignored("readme.md", false));
    }

    @Test
    void theDefaultListLeavesOutWhatSpaceLeftOut() throws Exception {
        SpaceIgnore s = SpaceIgnore.forSource(dir);
        for (String p : List.of(".git", "node_modules", "__pycache__", ".venv", ".env", "npm-debug.log.1", "x.lcov", ".coverage.7", ".DS_Store", ".x.swp", ".env.prod.local", "dist"))
            assertTrue(s.ignored(p, true) || s.ignored(p, false), p);
        assertFalse(s.ignored("main.py", false));
        assertFalse(s.ignored(".env.example", false));
    }

    @Test
    void sourceAndDependenciesAreMeasuredApart() throws Exception {
        Path src = dir.resolve("app");
        file(src.resolve("main.py"), 1000);
        file(src.resolve("static/big.bin"), 5000);
        file(src.resolve("static/small.css"), 10);
        file(src.resolve(".git/objects/pack"), 7777);                  // default-ignored
        file(src.resolve("notes.secret"), 3000);                       // ignored by .spaceignore
        file(src.resolve("data/keep.secret"), 40);                     // re-included
        Files.writeString(src.resolve(".spaceignore"), "*.secret\n!data/keep.secret\n");
        file(src.resolve("node_modules/express/index.js"), 300);
        file(src.resolve("node_modules/express/lib/router.js"), 200);
        file(src.resolve("node_modules/@scope/pkg/index.js"), 700);
        file(src.resolve(".venv/pyvenv.cfg"), 50);                     // the venv itself: neither
        file(src.resolve(".venv/lib/python3.11/site-packages/flask/app.py"), 900);
        PackageSize.Sizes s = PackageSize.measure(src, List.of());
        long spaceignore = Files.size(src.resolve(".spaceignore"));
        assertEquals(1000 + 5000 + 10 + 40, s.source() + 0 * spaceignore, s.toString()); // .spaceignore is itself default-ignored
        assertEquals("static/big.bin", s.largestSource().get(0).path());
        assertEquals(300 + 200 + 700 + 900, s.dependencies());
        assertEquals(new PackageSize.Entry(".venv/lib/python3.11/site-packages/flask", 900), s.largestDependencies().get(0));
        assertEquals(new PackageSize.Entry("node_modules/@scope/pkg", 700), s.largestDependencies().get(1));
        assertEquals(new PackageSize.Entry("node_modules/express", 500), s.largestDependencies().get(2));
    }

    @Test
    void includeCountsOnlyItsEntries() throws Exception {
        Path src = dir.resolve("app");
        file(src.resolve("dist/app.js"), 400);
        file(src.resolve("dist/app.js.map"), 100);
        file(src.resolve("src/app.ts"), 9000);
        file(src.resolve("package.json"), 50);
        PackageSize.Sizes s = PackageSize.measure(src, List.of("dist/", "package.json"));
        assertEquals(550, s.source());
    }

    private Path overLimitApp() throws Exception {
        Path app = dir.resolve("big");
        Files.createDirectories(app.resolve("api"));
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: api\n    engine: nodejs16\n    run: node -e \"require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT)\"\n    public: true\n");
        for (int i = 0; i < 6; i++) sparse(app.resolve("api/assets/video" + i + ".mp4"), 50L << 20);
        sparse(app.resolve("api/node_modules/huge/blob.bin"), 260L << 20);
        return app;
    }

    @Test
    void overTheLimitValidateFailsRunWarnsAndCheckStrictFails() throws Exception {
        Path app = overLimitApp();
        Jar.Result v = Jar.run(app, "validate");
        assertEquals(2, v.exit(), v.all());
        assertTrue(v.out().contains("Spacefile:3:5: micros[0]: micro 'api' would package 300 MiB of source and assets: Space allowed at most 250 MiB; the largest: assets/video"), v.all());
        assertEquals(5, v.out().lines().filter(l -> l.contains("would package")).findFirst().orElse("").split("\\(50 MiB\\)").length - 1, v.all());
        assertTrue(v.out().contains("micro 'api' has 260 MiB of dependencies: Space allowed at most 250 MiB; the largest: node_modules/huge (260 MiB)"), v.all());
        Apps.require("node");
        Jar.Result check = Jar.run(app, Map.of(), "check");
        assertEquals(0, check.exit(), "without --strict the app still runs: " + check.all());
        assertTrue(check.out().contains("warning: micros[0]: micro 'api' would package 300 MiB"), check.all());
        Jar.Result strict = Jar.run(app, Map.of(), "check", "--strict");
        assertEquals(1, strict.exit(), strict.all());
        assertTrue(strict.out().matches("(?s).*\\n- +package size +.*fail \\(micro 'api' would package 300 MiB.*\\(check --strict\\)\\).*"), strict.all());
    }

    @Test
    void oneWalkOfAHundredThousandFiles() throws Exception {
        Path src = dir.resolve("many");
        for (int d = 0; d < 100; d++) {
            Path folder = Files.createDirectories(src.resolve("d" + d));
            for (int f = 0; f < 1000; f++) Files.write(folder.resolve("f" + f + (f % 10 == 0 ? ".log" : ".txt")), new byte[1]);
        }
        Files.writeString(src.resolve(".spaceignore"), "*.log\n");
        long t0 = System.nanoTime();
        PackageSize.Sizes s = PackageSize.measure(src, List.of());
        System.out.printf("package size: %d files walked in %d ms%n", s.files(), (System.nanoTime() - t0) / 1_000_000);
        assertEquals(100_001, s.files());
        assertEquals(90_000, s.source());
    }
}
