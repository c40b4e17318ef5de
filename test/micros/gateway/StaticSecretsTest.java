package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;

/**
 * Static micros serve what Space would have packaged and nothing else: never the state folder
 * (the owner token), nothing the ignore rules leave out, never a file a symlink swapped in.
 */
class StaticSecretsTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static Path root;

    @BeforeAll
    static void start() throws Exception {
        root = dir.resolve("app");
        Files.createDirectories(root);
        Files.writeString(dir.resolve("secret.txt"), "TOP SECRET outside every served folder");
        Files.writeString(root.resolve("Spacefile"), """
                v: 0
                micros:
                  - name: site
                    src: .
                    engine: static
                    serve: ./
                    primary: true
                  - name: race
                    src: race
                    engine: static
                    serve: .
                  - name: www
                    src: www
                    engine: static
                    serve: dist
                    commands:
                      - cp -r src dist
                      - echo built env > dist/.env
                  - name: pub
                    src: pub
                    engine: static
                    serve: public
                """);
        write("index.html", "root page");
        write("notes.txt", "notes");
        write(".env", "DB_PASSWORD=hunter2");
        write(".git/config", "[remote] url = secret");
        write(".spaceignore", "private/\n*.key\n/anchored.txt\n");
        write("private/a.txt", "private");
        write("cert.key", "key");
        write("anchored.txt", "anchored at the root");
        write("sub/anchored.txt", "served: the rule is anchored");
        write("sub/.env", "nested env");
        write("node_modules/x/index.js", "dependency");
        write("race/f.txt", "public content");
        write("www/src/index.html", "built page"); // its build makes dist from these
        write("www/src/private/p.txt", "build output");
        write("www/dist/index.html", "a stale local build");
        write("www/.spaceignore", "dist/**\n"); // the local build is not uploaded: Space builds dist itself
        write("pub/public/ok.txt", "uploaded as is");
        write("pub/public/private/p.txt", "left out by pub's own .spaceignore");
        write("pub/.spaceignore", "public/private/\n");
        Files.createSymbolicLink(root.resolve("state"), Path.of(".micros"));
        Files.createSymbolicLink(root.resolve("envlink.txt"), Path.of(".env"));
        Files.createSymbolicLink(root.resolve("notes-link.txt"), Path.of("sub/../notes.txt"));
        app = Apps.start(root, Apps.Options.defaults());
        assertTrue(Files.exists(root.resolve(".micros/run.properties")), "the run wrote its state folder");
    }

    private static void write(String rel, String text) throws Exception {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/.micros/run.properties", "/.micros/project-key", "/.micros/", "/.micros", "/state/run.properties",
            "/state/project-key", "/.env", "/.git/config", "/.git/", "/.spaceignore", "/private/a.txt", "/cert.key", "/anchored.txt",
            "/sub/.env", "/node_modules/x/index.js", "/envlink.txt", "/www/.env", "/pub/private/p.txt", "/%2emicros/run.properties"})
    void whatSpaceWouldNotHavePackagedIsNotServed(String path) throws Exception {
        Response r = Http.get(app.port(), path);
        assertEquals(404, r.status(), path + ": " + r.text());
        assertFalse(r.text().contains(Apps.OWNER), path);
    }

    @Test
    void theRestIsServed() throws Exception {
        assertEquals("root page", Http.get(app.port(), "/").text());
        assertEquals("notes", Http.get(app.port(), "/notes.txt").text());
        assertEquals("served: the rule is anchored", Http.get(app.port(), "/sub/anchored.txt").text());
        assertEquals("notes", Http.get(app.port(), "/notes-link.txt").text(), "a symlink inside the folder is followed");
        assertEquals("built page", Http.get(app.port(), "/www/").text(), "'dist' in the default list does not hide a served dist");
        assertEquals("build output", Http.get(app.port(), "/www/private/p.txt").text(), "nor does 'dist/**' in .spaceignore");
        assertEquals("uploaded as is", Http.get(app.port(), "/pub/ok.txt").text());
        assertEquals("public content", Http.get(app.port(), "/race/f.txt").text());
    }

    /** Each client sends at least 2,000 requests, and more until the swapper has swapped 200 times (a loaded machine is slow to swap). */
    private static boolean more(int sent, AtomicInteger swaps) {
        return sent < 2000 || (swaps.get() < 200 && sent < 50_000);
    }

    /** One thread swaps f.txt of the folder race serves between a file and a symlink to a secret outside; thousands of requests never see it. */
    @Test
    void swappingAFileForASymlinkNeverLeaks() throws Exception {
        Path stage = app.emulator.runtime().codeDir(app.emulator.app().micro("race")); // what it serves
        Path f = stage.resolve("f.txt"), tmpFile = stage.resolve("f.tmp"), tmpLink = stage.resolve("l.tmp");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger swaps = new AtomicInteger();
        Thread swapper = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Files.writeString(tmpFile, "public content");
                    Files.move(tmpFile, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    Files.createSymbolicLink(tmpLink, dir.resolve("secret.txt"));
                    Files.move(tmpLink, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    swaps.incrementAndGet();
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        AtomicInteger leaks = new AtomicInteger(), cut = new AtomicInteger(), served = new AtomicInteger(), total = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        swapper.start();
        try {
            for (int t = 0; t < 4; t++) {
                Thread c = new Thread(() -> {
                    byte[] req = "GET /race/f.txt HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
                    int i = 0;
                    while (more(i, swaps)) { // a connection the server cut (an error answer) is opened again
                        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
                            s.setSoTimeout(30_000);
                            OutputStream out = s.getOutputStream();
                            InputStream in = s.getInputStream();
                            for (; more(i, swaps); i++) {
                                out.write(req);
                                out.flush();
                                Response r = Http.read(in, false);
                                total.incrementAndGet();
                                if (r.text().contains("SECRET")) leaks.incrementAndGet();
                                if (r.status() == 200 && r.text().equals("public content")) served.incrementAndGet();
                                if ("close".equalsIgnoreCase(r.header("connection"))) {
                                    i++;
                                    break;
                                }
                            }
                        } catch (java.io.IOException e) {
                            i++;
                            cut.incrementAndGet();
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
        }
        assertTrue(swaps.get() >= 200, "the swapper raced the requests: " + swaps.get() + " swaps");
        assertTrue(served.get() > 0, "the file itself was served while it was a file");
        assertEquals(0, leaks.get(), leaks + " of " + total + " responses leaked the secret");
        assertEquals(0, cut.get(), "connections cut");
    }
}
