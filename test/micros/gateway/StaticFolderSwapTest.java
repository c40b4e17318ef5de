package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;

/**
 * A static micro's served folder, and every folder on the way to it from the project, changed
 * while micros runs: swapped for a symlink out of the project (the review's `ln -s /etc
 * web/site`), replaced by the state folder, rebuilt, or re-pointed to another build inside the
 * project. What leads out is never served; what a user rebuilds or re-points inside is. With
 * --dev, where micros serves the owner's folder as it is now; outside --dev a static micro is
 * served from its stage, which only micros writes (StageTest).
 */
class StaticFolderSwapTest {
    @TempDir
    static Path dir;
    static Path root, outside;
    static Apps.Running app;

    @BeforeAll
    static void start() throws Exception {
        root = Files.createDirectories(dir.resolve("app"));
        outside = Files.createDirectories(dir.resolve("outside/site"));
        Files.writeString(outside.resolve("secret.txt"), "TOP SECRET outside the project");
        Files.writeString(outside.resolve("index.html"), "TOP SECRET index");
        Files.writeString(root.resolve("Spacefile"), """
                v: 0
                micros:
                  - name: site
                    src: web
                    engine: static
                    serve: site
                    primary: true
                  - name: front
                    src: front
                    engine: static
                    serve: dist
                  - name: deploy
                    src: deploy
                    engine: static
                    serve: current
                """);
        write("web/site/index.html", "site page");
        write("web/site/secret.txt", "site's own secret.txt");
        write("front/dist/index.html", "build 1");
        write("deploy/releases/v1/index.html", "release 1");
        write("deploy/releases/v2/index.html", "release 2");
        Files.createSymbolicLink(root.resolve("deploy/current"), Path.of("releases/v1"));
        app = Apps.start(root, Apps.Options.defaults().dev(true));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static void write(String rel, String text) throws Exception {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    private static String get(String path) throws Exception {
        Response r = Http.get(app.port(), path);
        return r.status() + " " + r.text();
    }

    /** Puts {@code replacement} (made by the caller at a temporary name) where {@code rel} is, runs the checks, and puts the original back. */
    private static void swapped(String rel, Path replacement, ThrowingRunnable checks) throws Exception {
        Path at = root.resolve(rel), aside = root.resolve(rel + ".bak");
        Files.move(at, aside);
        Files.move(replacement, at);
        try {
            checks.run();
        } finally {
            Files.move(at, replacement);
            Files.move(aside, at);
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void aServedFolderSwappedForASymlinkOutOfTheProjectServesNothing() throws Exception {
        assertEquals("200 site's own secret.txt", get("/secret.txt"));
        Path toEtc = Files.createSymbolicLink(dir.resolve("to-etc"), Path.of("/etc"));
        swapped("web/site", toEtc, () -> { // the review's proof: mv web/site web/site.bak; ln -s /etc web/site
            Response passwd = Http.get(app.port(), "/passwd");
            assertEquals(404, passwd.status());
            assertFalse(passwd.text().contains("root:"), passwd.text());
            assertEquals(404, Http.get(app.port(), "/hostname").status());
        });
        Path absolute = Files.createSymbolicLink(dir.resolve("to-outside"), outside);
        swapped("web/site", absolute, () -> {
            assertEquals(404, Http.get(app.port(), "/secret.txt").status());
            assertEquals(404, Http.get(app.port(), "/").status());
        });
        Path relative = Files.createSymbolicLink(dir.resolve("to-outside-relative"), Path.of("../../outside/site"));
        swapped("web/site", relative, () -> assertEquals(404, Http.get(app.port(), "/secret.txt").status()));
        // a folder further up: the micro's src
        Path src = Files.createSymbolicLink(dir.resolve("src-outside"), dir.resolve("outside"));
        swapped("web", src, () -> {
            assertEquals(404, Http.get(app.port(), "/secret.txt").status());
            assertEquals(404, Http.get(app.port(), "/").status());
        });
        assertEquals("200 site's own secret.txt", get("/secret.txt"), "the folder put back is served again");
    }

    /**
     * One thread swaps web/site between the real folder and a symlink out of the project (and the
     * held folder is found anew each time, closing the old one under requests in flight); four
     * clients never see the secret, and every answer is a 200 of the folder's own file or a 404.
     */
    @Test
    void swappingTheServedFolderUnderLoadNeverLeaks() throws Exception {
        Path site = root.resolve("web/site"), aside = root.resolve("web/site.real"), link = root.resolve("web/site.link");
        Files.createSymbolicLink(link, outside);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger swaps = new AtomicInteger(), leaks = new AtomicInteger(), served = new AtomicInteger(), odd = new AtomicInteger();
        Thread swapper = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Files.move(site, aside);
                    Files.move(link, site);
                    Files.move(site, link);
                    Files.move(aside, site);
                    swaps.incrementAndGet();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        List<Thread> clients = new ArrayList<>();
        swapper.start();
        try {
            for (int t = 0; t < 4; t++) {
                Thread c = new Thread(() -> {
                    for (int i = 0; i < 1000 || (swaps.get() < 100 && i < 20_000); i++) {
                        try {
                            Response r = Http.get(app.port(), i % 2 == 0 ? "/secret.txt" : "/");
                            if (r.text().contains("TOP SECRET")) leaks.incrementAndGet();
                            else if (r.status() == 200) served.incrementAndGet();
                            else if (r.status() != 404) odd.incrementAndGet();
                        } catch (java.io.IOException e) {
                            odd.incrementAndGet();
                        }
                    }
                });
                clients.add(c);
                c.start();
            }
            for (Thread c : clients) c.join();
        } finally {
            stop.set(true);
            swapper.join();
            Files.delete(link);
        }
        assertTrue(swaps.get() >= 100, "the swapper raced the requests: " + swaps.get() + " swaps");
        assertTrue(served.get() > 0, "the folder was served while it was the folder");
        assertEquals(0, leaks.get(), "answers with the secret");
        assertEquals(0, odd.get(), "answers other than 200 and 404, or cut connections");
        assertEquals("200 site's own secret.txt", get("/secret.txt"));
    }

    @Test
    void theStateFolderMovedIntoPlaceIsNeverServed() throws Exception {
        String token = Files.readString(root.resolve(".micros/run.properties"));
        Path state = dir.resolve("state-aside");
        Files.move(root.resolve(".micros"), state);
        try {
            swapped("web/site", state, () -> {
                Response r = Http.get(app.port(), "/run.properties");
                assertEquals(404, r.status());
                assertFalse(r.text().contains(Apps.OWNER), r.text());
            });
            Files.move(state, root.resolve("web/site/kept")); // or inside the served folder, under another name
            try {
                Response r = Http.get(app.port(), "/kept/run.properties");
                assertEquals(404, r.status());
                assertFalse(r.text().contains(Apps.OWNER), r.text());
            } finally {
                Files.move(root.resolve("web/site/kept"), state);
            }
        } finally {
            Files.move(state, root.resolve(".micros"));
        }
        assertEquals(token, Files.readString(root.resolve(".micros/run.properties")));
    }

    @Test
    void aRebuiltFolderIsServed() throws Exception {
        assertEquals("200 build 1", get("/front/"));
        Path dist = root.resolve("front/dist");
        try (Stream<Path> walk = Files.walk(dist)) { // rm -rf dist; a bundler writes it anew
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertEquals(404, Http.get(app.port(), "/front/").status(), "while it is gone");
        write("front/dist/index.html", "build 2");
        assertEquals("200 build 2", get("/front/"));
        write("front/next/index.html", "build 3"); // or built beside it and moved into place
        Files.move(dist, root.resolve("front/old"));
        Files.move(root.resolve("front/next"), dist);
        assertEquals("200 build 3", get("/front/"));
    }

    @Test
    void aSymlinkInsideTheProjectIsFollowedAsItIsNow() throws Exception {
        assertEquals("200 release 1", get("/deploy/"));
        Path current = root.resolve("deploy/current"), next = root.resolve("deploy/next");
        Files.createSymbolicLink(next, Path.of("releases/v2")); // ln -sfn releases/v2 current, atomically
        Files.move(next, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertEquals("200 release 2", get("/deploy/"));
        Files.createSymbolicLink(next, Path.of("../../outside/site"));
        Files.move(next, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertEquals(404, Http.get(app.port(), "/deploy/secret.txt").status(), "but never out of the project");
        Files.createSymbolicLink(next, Path.of("releases/v1"));
        Files.move(next, current, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertEquals("200 release 1", get("/deploy/"));
    }
}
